-- GhostSwap.fuse against the fake Fuse runtime: registration, the job file, the exact command
-- line (spaces, quotes, non-ASCII), the frame number, the colour space, and error display.

local HERE = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
package.path = HERE .. "?.lua;" .. package.path
local fake = require("fake_fusion")
local json = require("dkjson")

local WEIRD = "/it's \"q\" é dir"  -- a space, a single and double quote, and UTF-8

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function run_frame(rt, time)
  Process({ Time = time })
  return rt
end

describe("GhostSwap.fuse", function()
  local rt, dir

  before_each(function()
    dir = fake.temp_dir(WEIRD)
    rt = fake.load(fake.new({
      ColorSpace = 0, SourcePhoto = dir .. "/actor é's \"best\".jpg", Target = 0, TrackIds = "",
      TargetPhoto = "", Swapper = 2, ColorMatch = 1.0, OverrideMatte = 0, Erode = 3, Feather = 1.5, BrowLift = 1.0,
      CacheFolder = dir, Executable = "/opt/ghost swap/bin/ghostswap", Input = fake.image({ name = "plate" }),
    }), "GhostSwap.fuse")
  end)

  after_each(function()
    fake.restore()
    os.execute("rm -rf '" .. dir:gsub("'", "'\\''") .. "'")
  end)

  it("registers a time-variant tool with the documented inputs and two outputs", function()
    assert.are.equal(1, #rt.registered)
    local reg = rt.registered[1]
    assert.are.equal("GhostSwap", reg.name)
    assert.are.equal("CT_Tool", reg.kind)
    assert.is_true(reg.attrs.REG_TimeVariant)
    -- Swapper ... BrowLift come from the engine's knob table (the generated block), in its order.
    assert.are.same({ "ColorSpace", "SourcePhoto", "Target", "TrackIds", "TargetPhoto", "Swapper", "Model",
                      "Enhance", "ColorMatch", "WarnYaw", "MaxYaw", "OverrideMatte", "Erode", "Feather", "BrowLift", "Occlusion",
                      "KeepExpression", "Layers",
                      "Holdout", "CacheFolder", "Executable",
                      "Input", "HoldoutMatte" },
                    rt.input_ids)
    assert.are.same({ "Output", "Matte" }, rt.output_ids)
    local labels = {}
    for i, entry in ipairs(rt.inputs.ColorSpace.attrs) do labels[i] = entry.CCS_AddString end
    assert.are.same({ "ACEScg", "Linear Rec.709", "sRGB", "From metadata" }, labels)
  end)

  it("quotes every argument of the command line for sh", function()
    run_frame(rt, 1002)
    assert.are.equal(1, #rt.commands)
    local node = dir:gsub("'", "'\\''") .. "/GhostSwap1"
    assert.are.equal(
      "'/opt/ghost swap/bin/ghostswap' '--json' 'bake' '--job' '" .. node .. "/job.1002.json'"
        .. " '--frames' '1002' 2>'" .. node .. "/bake.1002.log'",
      rt.commands[1])
    assert.truthy(rt.commands[1]:find("/it'\\''s \"q\" é dir/GhostSwap1/job.1002.json", 1, true))
  end)

  it("writes the input frame and a job for exactly that frame", function()
    run_frame(rt, 1002.0)
    assert.are.equal(1, #rt.puts)
    assert.are.equal(dir .. "/GhostSwap1/plate/plate.1002.exr", rt.puts[1].path)
    assert.is_true(rt.puts[1].write)
    assert.are.equal(rt.values.Input, rt.puts[1].image)
    local job = json.decode(read(dir .. "/GhostSwap1/job.1002.json"))
    assert.are.same({
      schema = "ghostswap.job", version = 1,
      plate = dir .. "/GhostSwap1/plate/plate.####.exr",
      sources = { { dir .. "/actor é's \"best\".jpg" } },
      frames = "1002",
      cache = { root = dir, node = "GhostSwap1" },
      targets = { reference_photos = {}, track_ids = {}, all = false },
      swapper = { name = "morph", enhance = false },
      color = { colorspace = "ACEScg", match = 1 },
      pose = { warn_yaw = 45, max_yaw = 65 },
      matte = { layer = "ghost.matte", occlusion = "off", keep_expression = "auto", layers = "" },
      host = { name = "fusion", node = "GhostSwap1" },
    }, job)
    local text = read(dir .. "/GhostSwap1/job.1002.json")
    assert.truthy(text:find('"model": null', 1, true))
    assert.truthy(text:find('"erode": null', 1, true))
    assert.truthy(text:find('"track_ids": []', 1, true))
    assert.truthy(text:find('é\'s \\"best\\".jpg', 1, true), "non-ASCII passes through as UTF-8")
  end)

  it("writes a connected holdout matte beside the plate and names it in the job", function()
    rt.values.HoldoutMatte = { fake = "roto" }
    run_frame(rt, 1002)
    assert.are.equal(2, #rt.puts)
    assert.are.equal(dir .. "/GhostSwap1/holdout/holdout.1002.exr", rt.puts[2].path)
    assert.are.equal(rt.values.HoldoutMatte, rt.puts[2].image)
    local job = json.decode(read(dir .. "/GhostSwap1/job.1002.json"))
    assert.are.equal(dir .. "/GhostSwap1/holdout/holdout.####.exr", job.matte.holdout)
  end)

  it("sends the chosen colour space and matte overrides", function()
    rt.values.ColorSpace, rt.values.OverrideMatte, rt.values.Target, rt.values.TrackIds = 1, 1, 2, "0, 3"
    rt.values.ColorMatch = 0.25
    run_frame(rt, 7)
    local job = json.decode(read(dir .. "/GhostSwap1/job.0007.json"))
    assert.are.equal("lin_rec709", job.color.colorspace)
    assert.are.equal(0.25, job.color.match)
    assert.are.same({ erode = 3, feather = 1.5, brow_lift = 1.0, layer = "ghost.matte", occlusion = "off",
                      keep_expression = "auto", layers = "" }, job.matte)
    assert.are.same({ 0, 3 }, job.targets.track_ids)
    assert.are.equal("7", job.frames)
    assert.truthy(rt.commands[1]:find("'--frames' '7'", 1, true))
    rt.values.ColorSpace = 3
    run_frame(rt, 8)
    local text = read(dir .. "/GhostSwap1/job.0008.json")
    assert.truthy(text:find('"color": {"colorspace": null, "match": 0.25, "ocio": null}', 1, true))
  end)

  it("reads the frame's result with ghost.matte in alpha and fills both outputs", function()
    rt.popen_output = '{\n  "ok": true,\n  "output": "/c\\u00e9/x \\"y\\"/swap.####.exr",\n  "written": 1\n}'
    run_frame(rt, 1002)
    assert.are.equal(1, #rt.reads)
    assert.are.equal('/cé/x "y"/swap.1002.exr', rt.reads[1].path)
    assert.are.same({ { "R", "CHAN_RED" }, { "G", "CHAN_GREEN" }, { "B", "CHAN_BLUE" },
                      { "ghost.matte", "CHAN_ALPHA" } }, rt.reads[1].channels)
    local result = rt.reads[1].images[1]
    assert.are.equal("Output", rt.sets[1].output)
    assert.are.equal(result, rt.sets[1].image)
    assert.are.equal("Matte", rt.sets[2].output)
    assert.are.same({ R = "fg.A", G = "fg.A", B = "fg.A", A = "fg.A" }, rt.sets[2].image.attrs.derived.map)
    assert.are.same({}, rt.prints)
  end)

  it("prints the engine's error and passes the input through", function()
    rt.popen_output = '{"ok": false, "error": "InputError", "message": "face.jpg: no face found in this photo"}'
    run_frame(rt, 1002)
    assert.truthy(rt.prints[1]:find("ghostswap bake failed: face.jpg: no face found in this photo", 1, true))
    assert.truthy(rt.prints[2]:find("frame 1002 passed through", 1, true))
    assert.are.equal(rt.values.Input, rt.sets[1].image)
    assert.are.equal(rt.values.Input, rt.sets[2].image)
    assert.are.equal(0, #rt.reads)
  end)

  it("shows the last log line when the engine printed no JSON", function()
    rt.popen_output = ""
    os.execute("mkdir -p '" .. (dir .. "/GhostSwap1"):gsub("'", "'\\''") .. "'")
    write(dir .. "/GhostSwap1/bake.1002.log", "Traceback (most recent call last):\nRuntimeError: boom\n")
    Process({ Time = 1002 })
    -- the Fuse rewrote nothing in the log: ghostswap did not run (fake popen), so the old text stays
    assert.truthy(rt.prints[1]:find("RuntimeError: boom", 1, true))
    assert.are.equal(rt.values.Input, rt.sets[1].image)
  end)

  it("says what to set when there is no source photo", function()
    rt.values.SourcePhoto = ""
    run_frame(rt, 1002)
    assert.are.equal(0, #rt.commands)
    assert.truthy(rt.prints[1]:find("Source Photo", 1, true))
  end)
end)

describe("GhostSwapLib helpers", function()
  local lib
  setup(function()
    fake.load(fake.new({}), "GhostSwap.fuse")
    fake.restore()
    lib = GhostSwapLib
  end)

  it("escapes JSON strings and keeps UTF-8", function()
    assert.are.equal('"a\\"b\\\\c\\n\\t\\u0001é"', lib.json_string('a"b\\c\n\t\1é'))
    assert.are.equal('{"a": [], "b": null, "c": [1, 2.5], "d": {"x": true}}',
                     lib.json_encode({ d = { x = true }, c = { 1, 2.5 }, b = lib.NULL,
                                       a = setmetatable({}, lib.ARRAY) }))
  end)

  it("decodes the summary's escapes, surrogate pairs included", function()
    assert.are.equal("é😀\\\"", lib.json_field('{"output": "\\u00e9\\ud83d\\ude00\\\\\\""}', "output"))
    assert.is_false(lib.json_field('{"ok": false}', "ok"))
    assert.is_nil(lib.json_field('{"other": 1}', "ok"))
  end)

  it("quotes for cmd.exe with Windows argument rules", function()
    assert.are.equal('"C:\\My Photos\\it\'s \\"q\\"\\\\"', lib.quote_windows('C:\\My Photos\\it\'s "q"\\'))
    assert.are.equal('""C:\\gs\\ghostswap.exe" "--frames" "7" 2>"C:\\t\\b.log""',
                     lib.command_line({ "C:\\gs\\ghostswap.exe", "--frames", "7" }, "C:\\t\\b.log", true))
    assert.has_error(function() lib.quote_windows("C:\\100%\\x") end)
  end)

  it("names frames with the pattern's padding", function()
    assert.are.equal("/c/swap.0007.exr", lib.frame_path("/c/swap.####.exr", 7))
    assert.are.equal("/c/swap.1002.exr", lib.frame_path("/c/swap.####.exr", 1002))
    assert.are.equal("Ghost_Swap_1", lib.safe_name("Ghost Swap/1"))
  end)
end)

describe("the interpreter", function()
  it("is LuaJIT, as in Fusion (run busted with --lua=luajit)", function()
    assert.are.equal("table", type(jit))
  end)
end)
