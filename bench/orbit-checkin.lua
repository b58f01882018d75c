-- SPDX-License-Identifier: Apache-2.0
-- wrk script: device check-ins to Orbit, each signed in advance (orbit-device --presign),
-- every thread using its own share of the signed requests, each once (a nonce is never
-- reused: the server refuses replays).
local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local total = tonumber(os.getenv("ORBIT_THREADS"))
   local f = assert(io.open(os.getenv("ORBIT_PRESIGNED")))
   key = f:read("*l")
   signed = {}
   local n = 0
   for line in f:lines() do
      if n % total == index then
         table.insert(signed, line)
      end
      n = n + 1
   end
   f:close()
   next_request = 1
end

function request()
   local line = signed[next_request] or signed[#signed]
   next_request = next_request + 1
   local t, nonce, sig = line:match("(%S+) (%S+) (%S+)")
   return wrk.format("POST", "/api/v1/device/checkin", {
      ["X-Kos-Device"] = key, ["X-Kos-Time"] = t, ["X-Kos-Nonce"] = nonce,
      ["X-Kos-Signature"] = sig, ["Content-Type"] = "application/json" }, '{"wait":0}')
end
