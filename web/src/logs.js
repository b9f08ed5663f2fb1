// The log viewer of a job: lines as they arrive, follow (keep the newest
// line in view), search, a rank filter and download of the whole log.

import { get } from './api.js';
import { formatTime, h, replace, saveFile } from './dom.js';

// The viewer keeps this many lines; older ones remain downloadable.
const MAX_LINES_KEPT = 50000;
// At most this many lines are in the page at once.
const MAX_LINES_SHOWN = 2000;
// Longer lines are cut in the view (the download has them whole).
const MAX_LINE_CHARS = 10000;

function lineText(line) {
  return `${line.time} [rank ${line.rank} ${line.stream}] ${line.text}`;
}

export class LogViewer {
  constructor(jobPath, jobName) {
    this.jobPath = jobPath;
    this.jobName = jobName;
    this.lines = [];
    this.dropped = 0;
    this.ranks = new Set();
    this.follow = h('input', { type: 'checkbox', checked: true, id: 'log-follow',
                               onchange: () => this.scrollIfFollowing() });
    this.search = h('input', { type: 'search', id: 'log-search', placeholder: 'search the log',
                               'aria-label': 'Search the log', oninput: () => this.render() });
    this.rank = h('select', { id: 'log-rank', 'aria-label': 'Rank', onchange: () => this.render() },
                  h('option', { value: '' }, 'all ranks'));
    this.status = h('span', { class: 'muted', id: 'log-status' });
    this.output = h('div', { class: 'log', id: 'log-lines', role: 'log' });
    this.element = h('section', { class: 'logs' },
                     h('div', { class: 'toolbar' },
                       h('label', {}, this.follow, ' Follow'), this.search, this.rank,
                       h('button', { id: 'log-download', onclick: () => this.download() },
                         'Download'),
                       this.status),
                     this.output);
  }

  matches(line) {
    const rank = this.rank.value;
    if (rank !== '' && String(line.rank) !== rank) return false;
    const query = this.search.value.trim().toLowerCase();
    return !query || line.text.toLowerCase().includes(query);
  }

  lineElement(line) {
    const text = line.text.length > MAX_LINE_CHARS
      ? [line.text.slice(0, MAX_LINE_CHARS),
         h('span', { class: 'muted' },
           ` … (${line.text.length.toLocaleString()} characters; download the log to see all)`)]
      : line.text;
    return h('div', { class: `line ${line.stream}` },
             h('span', { class: 'time', title: line.time }, formatTime(line.time)),
             h('span', { class: 'rank' }, `${line.rank}`),
             h('span', { class: 'text' }, text));
  }

  // Adds lines from the event stream.
  append(lines) {
    const shown = [];
    for (const line of lines) {
      this.lines.push(line);
      if (!this.ranks.has(line.rank)) {
        this.ranks.add(line.rank);
        this.rank.appendChild(h('option', { value: String(line.rank) }, `rank ${line.rank}`));
      }
      if (this.matches(line)) shown.push(this.lineElement(line));
    }
    if (this.lines.length > MAX_LINES_KEPT) {
      const excess = this.lines.length - MAX_LINES_KEPT;
      this.lines.splice(0, excess);
      this.dropped += excess;
    }
    this.output.append(...shown);
    while (this.output.childElementCount > MAX_LINES_SHOWN) this.output.firstElementChild.remove();
    this.updateStatus();
    this.scrollIfFollowing();
  }

  render() {
    const matching = this.lines.filter((line) => this.matches(line));
    replace(this.output, matching.slice(-MAX_LINES_SHOWN).map((line) => this.lineElement(line)));
    this.updateStatus(matching.length);
    this.scrollIfFollowing();
  }

  updateStatus(matching) {
    const total = this.lines.length + this.dropped;
    let text = `${total.toLocaleString()} lines`;
    if (matching !== undefined && (this.search.value || this.rank.value)) {
      text += `, ${matching.toLocaleString()} matching`;
    }
    if (this.output.childElementCount < (matching ?? this.lines.length)) {
      text += `; showing the last ${this.output.childElementCount.toLocaleString()}`;
    }
    this.status.textContent = text;
  }

  scrollIfFollowing() {
    if (this.follow.checked) this.output.scrollTop = this.output.scrollHeight;
  }

  // Reads the whole log (of the chosen rank) from the server and saves it.
  async download() {
    const parts = [];
    let after = 0;
    const rank = this.rank.value;
    this.status.textContent = 'downloading…';
    try {
      for (;;) {
        const page = await get(`${this.jobPath}/logs`, { after, limit: 10000, rank });
        for (const line of page.lines) parts.push(`${lineText(line)}\n`);
        if (page.lines.length === 0 || page.nextSeq === after) break;
        after = page.nextSeq;
      }
      const suffix = rank === '' ? '' : `-rank${rank}`;
      saveFile(`${this.jobName}${suffix}.log`, new Blob(parts, { type: 'text/plain' }));
      this.updateStatus();
    } catch (error) {
      this.status.textContent = `download failed: ${error.message}`;
    }
  }
}
