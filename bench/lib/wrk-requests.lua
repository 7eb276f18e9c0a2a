-- wrk script: the requests of a scenario (method, headers, body), in turn on
-- each connection. Usage: wrk -s wrk-requests.lua URL -- FILE LEN1,LEN2,...
-- FILE holds the raw requests one after the other (bench/lib/loadgen.js
-- writes it with http-raw.js's rawRequest), LEN the byte length of each.
init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  reqs = {}
  local pos = 1
  for len in string.gmatch(args[2], "%d+") do
    reqs[#reqs + 1] = string.sub(data, pos, pos + tonumber(len) - 1)
    pos = pos + tonumber(len)
  end
  n = 0
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
