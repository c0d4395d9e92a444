-- random_racks.lua, a wrk script: every request asks for a fresh random rack, so (almost) none
-- is cached. RACK_LETTERS random letters (default 7), then RACK_BLANKS blanks "_" (default 0),
-- from the environment. Each wrk thread has its own seed (drawn in setup from the main state,
-- seeded from the clock), so threads ask for different racks. It ends with wrk_report.lua's
-- JSON summary. It defines no response() callback: wrk would copy every answer into Lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local letters = "abcdefghijklmnopqrstuvwxyz"
local count = tonumber(os.getenv("RACK_LETTERS") or "7")
local blanks = string.rep("_", tonumber(os.getenv("RACK_BLANKS") or "0"))

math.randomseed(os.time())
local next_id = 0
setup = function(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  thread:set("seed", math.random(1, 2147483646))
end

init = function(args)
  math.randomseed(seed)
  -- LuaJIT's first draws after a seed are poorly mixed: discard a few.
  for _ = 1, 10 do math.random() end
end

request = function()
  local rack = {}
  for i = 1, count do
    local n = math.random(1, 26)
    rack[i] = letters:sub(n, n)
  end
  return wrk.format("GET", "/" .. table.concat(rack) .. blanks)
end
