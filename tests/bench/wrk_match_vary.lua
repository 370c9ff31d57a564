-- a new profile each request: phase, sectors, needs, activity, lang and student
-- among a few real values (5*4*4*3*2*2 = 960 combinations), employees always new
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = 0
function setup(t) t:set("base", threads * 400000); threads = threads + 1 end
local phases = { "idea", "prestart", "start", "restart", "growth" }
local sectors = { '"retail", "creative"', '"cleantech", "chemistry"', '"digital"', '"hospitality", "agrofood"' }
local needs = { '"needs": ["administration", "coaching-business-plan", "financing-loan"], ', '"needs": ["financing", "location-office"], ',
  '"needs": ["talent", "networking", "legal-ip"], ', '' }
local acts = { "shop", "tech-product", "services" }
local langs = { "nl", "en" }
local n = 0
function request() n = n + 1
  local k = base + n
  local function pick(t, d) return t[math.floor(k / d) % #t + 1] end
  local body = string.format("{\"phase\": \"%s\", \"sectors\": [%s], %s\"activity\": \"%s\", \"student\": %s, \"international\": false, \"area\": \"gent\", \"company_age\": 0, \"lang\": \"%s\", \"employees\": %d}",
    pick(phases, 1), pick(sectors, 5), pick(needs, 20), pick(acts, 80), math.floor(k / 240) % 2 == 0 and "true" or "false", pick(langs, 7), k)
  return wrk.format(nil, nil, nil, body) end
