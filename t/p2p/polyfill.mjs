// polyfill.mjs: Promise.withResolvers (Node 22) for Node 20.  Some current
// releases of libp2p 2.x's dependencies (it-queue, via mortice) call it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
