/**
 * Operational transformation for plain text (the algorithm of ot.js): an
 * operation walks the whole document once as a list of components, a positive
 * number retains that many characters, a negative number deletes that many,
 * a string inserts itself. Shared by the server and the browser.
 *
 * `transform(a, b)` for two operations made on the same text returns
 * `[a', b']` such that applying a then b' equals applying b then a': this is
 * what lets two people type at once without either losing a keystroke.
 * Lengths count UTF-16 code units, like a textarea's selection offsets.
 */

/** @typedef {Array<number | string>} Op */

/** @param {Op} op @param {number | string} c @returns {Op} */
function push (op, c) {
  if (c === 0 || c === '') return op
  const last = op[op.length - 1]
  if (typeof c === 'number' && typeof last === 'number' && (c > 0) === (last > 0)) {
    op[op.length - 1] = last + c
  } else if (typeof c === 'string' && typeof last === 'string') {
    op[op.length - 1] = last + c
  } else if (typeof c === 'string' && typeof last === 'number' && last < 0) {
    // Keep inserts before deletes so equal operations have one spelling.
    const prev = op[op.length - 2]
    if (typeof prev === 'string') op[op.length - 2] = prev + c
    else op.splice(op.length - 1, 0, c)
  } else {
    op.push(c)
  }
  return op
}

/** @param {Op} op @returns {number} the length of the text the operation applies to */
export function baseLength (op) {
  let n = 0
  for (const c of op) if (typeof c === 'number') n += Math.abs(c)
  return n
}

/** @param {Op} op @returns {number} the length of the text it produces */
export function targetLength (op) {
  let n = 0
  for (const c of op) n += typeof c === 'string' ? c.length : Math.max(c, 0)
  return n
}

/** True when `op` is well-formed: integers and non-empty strings only. @param {unknown} op @returns {op is Op} */
export function isOp (op) {
  return Array.isArray(op) && op.every((c) => (typeof c === 'number' && Number.isSafeInteger(c) && c !== 0) || (typeof c === 'string' && c !== ''))
}

/** @param {string} text @param {Op} op @returns {string} */
export function apply (text, op) {
  if (baseLength(op) !== text.length) throw new Error(`operation spans ${baseLength(op)} characters, the text has ${text.length}`)
  let out = ''
  let i = 0
  for (const c of op) {
    if (typeof c === 'string') out += c
    else if (c > 0) { out += text.slice(i, i + c); i += c } else i -= c
  }
  return out
}

/** The operation turning `before` into `after` (one changed span: prefix and suffix kept). @param {string} before @param {string} after @returns {Op} */
export function diff (before, after) {
  let start = 0
  const max = Math.min(before.length, after.length)
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++
  let end = 0
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++
  /** @type {Op} */
  const op = []
  push(op, start)
  push(op, after.slice(start, after.length - end))
  push(op, -(before.length - start - end))
  push(op, end)
  return op
}

/** Applying a then b equals applying `compose(a, b)`. @param {Op} a @param {Op} b @returns {Op} */
export function compose (a, b) {
  if (targetLength(a) !== baseLength(b)) throw new Error('compose: lengths do not match')
  /** @type {Op} */
  const out = []
  let i = 0; let j = 0
  let ca = a[i++]; let cb = b[j++]
  while (ca !== undefined || cb !== undefined) {
    if (typeof ca === 'number' && ca < 0) { push(out, ca); ca = a[i++]; continue }
    if (typeof cb === 'string') { push(out, cb); cb = b[j++]; continue }
    if (ca === undefined || cb === undefined) throw new Error('compose: operations too short')
    if (typeof ca === 'string') {
      const n = /** @type {number} */ (cb)
      if (n > 0) {
        if (ca.length > n) { push(out, ca.slice(0, n)); ca = ca.slice(n); cb = b[j++] } else if (ca.length === n) { push(out, ca); ca = a[i++]; cb = b[j++] } else { push(out, ca); cb = n - ca.length; ca = a[i++] }
      } else if (ca.length > -n) { ca = ca.slice(-n); cb = b[j++] } else if (ca.length === -n) { ca = a[i++]; cb = b[j++] } else { cb = n + ca.length; ca = a[i++] }
      continue
    }
    const m = /** @type {number} */ (cb)
    if (m > 0) {
      if (ca > m) { push(out, m); ca -= m; cb = b[j++] } else if (ca === m) { push(out, ca); ca = a[i++]; cb = b[j++] } else { push(out, ca); cb = m - ca; ca = a[i++] }
    } else if (ca > -m) { push(out, m); ca += m; cb = b[j++] } else if (ca === -m) { push(out, m); ca = a[i++]; cb = b[j++] } else { push(out, -ca); cb = m + ca; ca = a[i++] }
  }
  return out
}

/**
 * For a and b made on the same text, `[a', b']` with apply(apply(t, a), b')
 * === apply(apply(t, b), a'). When both insert at one place, a's text comes first.
 * @param {Op} a @param {Op} b @returns {[Op, Op]}
 */
export function transform (a, b) {
  if (baseLength(a) !== baseLength(b)) throw new Error('transform: operations apply to different texts')
  /** @type {Op} */ const a2 = []
  /** @type {Op} */ const b2 = []
  let i = 0; let j = 0
  let ca = a[i++]; let cb = b[j++]
  while (ca !== undefined || cb !== undefined) {
    if (typeof ca === 'string') { push(a2, ca); push(b2, ca.length); ca = a[i++]; continue }
    if (typeof cb === 'string') { push(a2, cb.length); push(b2, cb); cb = b[j++]; continue }
    if (ca === undefined || cb === undefined) throw new Error('transform: operations too short')
    let n
    if (ca > 0 && cb > 0) {
      n = Math.min(ca, cb); push(a2, n); push(b2, n)
    } else if (ca < 0 && cb < 0) {
      n = Math.min(-ca, -cb)
      ca += n; cb += n
      if (ca === 0) ca = a[i++]
      if (cb === 0) cb = b[j++]
      continue
    } else if (ca < 0) {
      n = Math.min(-ca, cb); push(a2, -n)
    } else {
      n = Math.min(ca, -cb); push(b2, -n)
    }
    ca = ca > 0 ? ca - n : ca + n
    cb = cb > 0 ? cb - n : cb + n
    if (ca === 0) ca = a[i++]
    if (cb === 0) cb = b[j++]
  }
  return [a2, b2]
}

/** Where a cursor at `index` ends up after `op`. @param {number} index @param {Op} op @returns {number} */
export function transformIndex (index, op) {
  let pos = 0
  let out = index
  for (const c of op) {
    if (pos > index) break
    if (typeof c === 'string') { out += c.length; continue }
    if (c > 0) pos += c
    else { out -= Math.min(-c, index - pos); pos -= c }
  }
  return out
}
