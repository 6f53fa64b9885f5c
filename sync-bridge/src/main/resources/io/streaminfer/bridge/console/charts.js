// Line charts as inline SVG: no library, no build step. A chart is redrawn whole at each reading (a few hundred points).

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 120;
const PAD = {left: 44, right: 8, top: 8, bottom: 18};

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

/**
 * Draws series [{name, cls, points: [[epochMs, value | null]]}] over the last windowMs into the <svg> element, the
 * y axis from 0 to the largest value, labelled with format(value). A null value is a gap.
 */
export function lineChart(svg, series, {windowMs, now, format}) {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('role', 'img');
  const from = now - windowMs;
  let max = 0;
  for (const s of series) {
    for (const [t, v] of s.points) if (t >= from && v !== null && v > max) max = v;
  }
  const top = max > 0 ? niceCeiling(max) : 1;
  const x = t => PAD.left + (t - from) / windowMs * (WIDTH - PAD.left - PAD.right);
  const y = v => HEIGHT - PAD.bottom - v / top * (HEIGHT - PAD.top - PAD.bottom);

  for (const v of [0, top / 2, top]) {
    el('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v), class: 'grid'}, svg);
    el('text', {x: PAD.left - 4, y: y(v) + 3, class: 'axis', 'text-anchor': 'end'}, svg).textContent = format(v);
  }
  el('text', {x: PAD.left, y: HEIGHT - 4, class: 'axis'}, svg).textContent = `-${Math.round(windowMs / 60000)} min`;
  el('text', {x: WIDTH - PAD.right, y: HEIGHT - 4, class: 'axis', 'text-anchor': 'end'}, svg).textContent = 'now';

  for (const s of series) {
    let d = '';
    let pen = 'M';
    for (const [t, v] of s.points) {
      if (t < from || v === null) {
        pen = 'M';
        continue;
      }
      // A zero-length segment after each move: a reading between gaps shows as a dot (round line caps).
      d += pen === 'M' ? `M${x(t).toFixed(1)},${y(v).toFixed(1)} h0 ` : `L${x(t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = 'L';
    }
    if (d) el('path', {d, class: `line ${s.cls}`}, svg);
  }
  svg.dataset.max = String(max);
}

/** 1, 2 or 5 times a power of ten, at or above v. */
function niceCeiling(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
