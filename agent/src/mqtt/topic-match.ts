/** MQTT topic filter matching with `+` (one level) and `#` (the rest), per MQTT 3.1.1 section 4.7. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true
  const f = filter.split('/')
  const t = topic.split('/')
  // [MQTT-4.7.2-1] wildcards at the first level must not match topics starting with '$'.
  if (t[0]?.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}
