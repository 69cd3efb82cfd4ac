-- A fixed GET of the URL given to wrk (the framework ceiling).
package.path = "./bench/wrk/?.lua;" .. package.path
local common = require("common")
common.install()

function init(args)
  common.init()
end
