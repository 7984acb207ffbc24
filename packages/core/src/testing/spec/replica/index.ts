export { approvals } from "./approvals.js"
export { kv } from "./kv.js"
export { runs } from "./runs.js"
