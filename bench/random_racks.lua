-- wrk script: every request asks for a fresh random 7-letter rack, so (almost) none is cached.
local letters = "abcdefghijklmnopqrstuvwxyz"
math.randomseed(os.time())
request = function()
  local rack = {}
  for i = 1, 7 do
    local n = math.random(1, 26)
    rack[i] = letters:sub(n, n)
  end
  return wrk.format("GET", "/" .. table.concat(rack))
end
