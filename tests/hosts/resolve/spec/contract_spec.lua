-- Contract half 1: let GhostSwap.fuse build its real command line for real paths, and hand it to
-- tests/hosts/resolve/test_fuse.py, which runs it in a real shell against the real engine.
-- Runs only when that test sets GHOSTSWAP_CONTRACT_DIR (pending otherwise).

local HERE = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
package.path = HERE .. "?.lua;" .. package.path
local fake = require("fake_fusion")

describe("GhostSwap.fuse contract", function()
  local dir = os.getenv("GHOSTSWAP_CONTRACT_DIR")
  if not dir then
    pending("run by tests/hosts/resolve/test_fuse.py (sets GHOSTSWAP_CONTRACT_DIR)")
    return
  end

  it("writes the command line it built for frame 1002", function()
    local rt = fake.load(fake.new({
      ColorSpace = 0, SourcePhoto = os.getenv("GHOSTSWAP_CONTRACT_PHOTO"), Target = 0, TrackIds = "",
      TargetPhoto = "", Swapper = 2, OverrideMatte = 0, Erode = 0, Feather = 1.0, BrowLift = 1.0,
      CacheFolder = dir, Executable = os.getenv("GHOSTSWAP_CONTRACT_EXE"), Input = fake.image({}),
    }), "GhostSwap.fuse")
    Process({ Time = 1002 })
    fake.restore()
    assert.are.equal(1, #rt.commands)
    local f = assert(io.open(os.getenv("GHOSTSWAP_CONTRACT_OUT"), "wb"))
    f:write(rt.commands[1], "\n", rt.puts[1].path, "\n")
    f:close()
  end)
end)
