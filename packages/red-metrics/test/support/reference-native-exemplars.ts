// An independent reference for native histogram exemplars: client_golang's
// nativeExemplars.addExemplar (prometheus/histogram.go) restated plainly, on copies.

export interface ReferenceExemplar {
  value: number;
  at: number;
  id: string;
}

export function referenceAddExemplar(kept: ReferenceExemplar[], e: ReferenceExemplar, capacity: number, ttl: number): ReferenceExemplar[] {
  const list = [...kept];
  if (list.length < capacity) {
    let n = 0;
    while (n < list.length && !(e.value < list[n]!.value)) n += 1;
    return [...list.slice(0, n), e, ...list.slice(n)];
  }
  if (list.length === 1) return [e];
  let oldestIndex = -1;
  let minDistance = -1;
  let newIndex = -1;
  let replaceIndex = -1;
  let previousLog = 0;
  let currentLog = 0;
  for (let i = 0; i < list.length; i += 1) {
    const x = list[i]!;
    if (oldestIndex === -1 || x.at < list[oldestIndex]!.at) oldestIndex = i;
    if (newIndex === -1 && e.value <= x.value) newIndex = i;
    previousLog = currentLog;
    currentLog = Math.log(x.value);
    if (i === 0) continue;
    const distance = Math.abs(currentLog - previousLog);
    if (minDistance === -1 || distance < minDistance) {
      minDistance = distance;
      replaceIndex = list[i]!.at < list[i - 1]!.at ? i : i - 1;
    }
  }
  if (newIndex === -1) newIndex = list.length;
  if (oldestIndex !== -1 && e.at - list[oldestIndex]!.at > ttl) {
    replaceIndex = oldestIndex;
  } else {
    const eLog = Math.log(e.value);
    if (newIndex > 0) {
      const distance = Math.abs(eLog - Math.log(list[newIndex - 1]!.value));
      if (distance < minDistance) {
        minDistance = distance;
        replaceIndex = newIndex - 1;
      }
    }
    if (newIndex < list.length) {
      const distance = Math.abs(Math.log(list[newIndex]!.value) - eLog);
      if (distance < minDistance) replaceIndex = newIndex;
    }
  }
  if (replaceIndex === newIndex) return list.map((x, i) => (i === newIndex ? e : x));
  if (replaceIndex < newIndex) {
    return [...list.slice(0, replaceIndex), ...list.slice(replaceIndex + 1, newIndex), e, ...list.slice(newIndex)];
  }
  return [...list.slice(0, newIndex), e, ...list.slice(newIndex, replaceIndex), ...list.slice(replaceIndex + 1)];
}
