import type { Page } from 'playwright-core';

/** Pixels of every chart canvas on the page that are drawn (not transparent), found through the shadow roots. */
export async function drawnCharts(page: Page): Promise<Array<{ series: string; match: string; state: string; width: number; drawn: number }>> {
  return page.evaluate(() => {
    const out: Array<{ series: string; match: string; state: string; width: number; drawn: number }> = [];
    const visit = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'SPARK-HISTORY-CHART') {
          const canvas = el.shadowRoot?.querySelector('canvas');
          let drawn = 0;
          if (canvas) {
            // Pixels near the first line's colour (--spark-accent): the line itself, not the grid or the axes.
            const probe = document.createElement('canvas').getContext('2d')!;
            probe.fillStyle = getComputedStyle(el).getPropertyValue('--spark-accent').trim() || '#4f8cff';
            probe.fillRect(0, 0, 1, 1);
            const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
            const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 60) drawn++;
          }
          out.push({ series: el.getAttribute('series') ?? '', match: el.getAttribute('match') ?? '', state: String((el as HTMLElement & { state?: string }).state ?? ''), width: canvas?.getBoundingClientRect().width ?? 0, drawn });
        }
        if (el.shadowRoot) visit(el.shadowRoot);
      }
    };
    visit(document);
    return out;
  });
}
