-- A small, explicit, recording stand-in for the Fuse runtime (only what GhostSwap's Fuses call).
-- It records FuRegisterClass, AddInput/AddOutput, Clip writes, EXRIO reads and their channel
-- mapping, io.popen command lines and console prints. Files and os.execute stay real.

local M = {}
local real = { popen = io.popen, print = print }

M.HERE = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
M.FUSES = M.HERE .. "../../../../plugins/resolve/Fuses/"

local function image(attrs)
  local img = { attrs = attrs or {} }
  function img:ChannelOpOf(op, fg, map)
    return image({ derived = { op = op, bg = self, fg = fg, map = map } })
  end
  return img
end
M.image = image

function M.new(values)
  local rt = {
    registered = {}, inputs = {}, input_ids = {}, outputs = {}, output_ids = {}, puts = {}, reads = {},
    commands = {}, prints = {}, sets = {}, values = values or {},
    popen_output = '{"ok": true, "output": "/nowhere/swap.####.exr"}',
  }
  CT_Tool, ANY_TYPE, IMDP_128bitFloat = "CT_Tool", "ANY_TYPE", "IMDP_128bitFloat"
  CHAN_RED, CHAN_GREEN, CHAN_BLUE, CHAN_ALPHA = "CHAN_RED", "CHAN_GREEN", "CHAN_BLUE", "CHAN_ALPHA"

  function FuRegisterClass(name, kind, attrs)
    rt.registered[#rt.registered + 1] = { name = name, kind = kind, attrs = attrs }
  end

  local function input(name, id, attrs)
    local inp = { name = name, id = id, attrs = attrs }
    function inp:GetValue(req)  -- as in Fusion, an input nobody set reads its default
      local value = rt.values[id]
      if value == nil and attrs then return attrs.INP_Default end
      return value
    end
    rt.inputs[id] = inp
    rt.input_ids[#rt.input_ids + 1] = id
    return inp
  end

  local function output(name, id, attrs)
    local out = { name = name, id = id, attrs = attrs }
    function out:Set(req, img) rt.sets[#rt.sets + 1] = { output = id, image = img, time = req.Time } end
    rt.outputs[id] = out
    rt.output_ids[#rt.output_ids + 1] = id
    return out
  end

  self = {
    Name = "GhostSwap1",
    Comp = { MapPath = function(_, path) return (path:gsub("^Temp:", os.getenv("TMPDIR") or "/tmp")) end },
    AddInput = function(_, name, id, attrs) return input(name, id, attrs) end,
    AddOutput = function(_, name, id, attrs) return output(name, id, attrs) end,
  }

  function Clip(path, write)
    local clip = {}
    function clip:PutFrame(time, img)
      rt.puts[#rt.puts + 1] = { path = path, write = write, time = time, image = img }
      local f = io.open(path, "wb")  -- a placeholder so the path is known to be writable
      if f then f:write("fake EXR from fake_fusion.lua\n") f:close() end
    end
    return clip
  end

  function EXRIO()
    local read = { channels = {} }
    rt.reads[#rt.reads + 1] = read
    local exr = {}
    function exr:ReadOpen(path, part) read.path = path end
    function exr:ReadHeader() return true end
    function exr:GetLastError() return "" end
    function exr:DataWindow(part) return { left = 0, bottom = 0, right = 8, top = 4 } end
    function exr:Part(part) read.part = part end
    function exr:Channel(name, kind, scale, target) read.channels[#read.channels + 1] = { name, target } end
    function exr:ReadPart(part, images) read.images = images end
    function exr:Close() read.closed = true end
    return exr
  end

  Image = image

  io.popen = function(command, mode)
    rt.commands[#rt.commands + 1] = command
    return {
      read = function() return rt.popen_output end,
      close = function() return true end,
    }
  end

  print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring(select(i, ...)) end
    rt.prints[#rt.prints + 1] = table.concat(parts, "\t")
  end

  return rt
end

function M.restore()
  io.popen, print = real.popen, real.print
end

function M.load(rt, name)
  dofile(M.FUSES .. name)
  Create()
  return rt
end

function M.temp_dir(suffix)
  local base = os.tmpname()
  os.remove(base)
  local dir = base .. suffix
  os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'")
  return dir
end

return M
