export { del } from "./delete.js"
export { get } from "./get.js"
export { list } from "./list.js"
export { set } from "./set.js"
