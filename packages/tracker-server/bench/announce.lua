-- wrk load for an HTTP tracker: compact announces from DISTINCT peers spread over TORRENTS
-- torrents (peer n: torrent n % TORRENTS, port 1024 + n / TORRENTS, its own peer id), half of
-- each swarm seeders. Each of THREADS wrk threads walks its own slice of the peer numbers, cycling.
local threads = 0
local DISTINCT = tonumber(os.getenv("DISTINCT") or "100000")
local TORRENTS = tonumber(os.getenv("TORRENTS") or "50")
local THREADS = tonumber(os.getenv("THREADS") or "1")

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local hashes = {}
local counter = 0

function init(args)
  tid = tonumber(tid)
  for t = 0, TORRENTS - 1 do
    local hex = string.format("%040x", t + 1)
    hashes[t] = hex:gsub("(..)", "%%%1")
  end
end

function request()
  local n = (counter * THREADS + tid) % DISTINCT
  counter = counter + 1
  local torrent = n % TORRENTS
  local port = 1024 + math.floor(n / TORRENTS)
  local left = (math.floor(n / TORRENTS) % 2) * 1000
  local path = "/announce?info_hash=" .. hashes[torrent]
    .. "&peer_id=-WK0001-" .. string.format("%012d", n)
    .. "&port=" .. port .. "&uploaded=0&downloaded=0&left=" .. left .. "&compact=1&event=started"
  return wrk.format("GET", path)
end

