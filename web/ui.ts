// Small page helpers shared by the page's sections: element lookup, the error line, downloads.

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Shows an error in the page's error line (red), until the next success clears it. */
export function showError(msg: string): void {
  const el = $("error");
  el.textContent = msg;
  el.hidden = false;
  console.error(msg);
}

/** Clears the error line: called on every success. */
export function clearError(): void {
  const el = $("error");
  el.textContent = "";
  el.hidden = true;
}

/** Offers bytes as a file download. */
export function download(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** The asset at `path` of the package (the page is web/index.html; scripts are under dist/web/). */
export const asset = (path: string) => new URL(`../../${path}`, import.meta.url);

export async function fetchBytes(url: URL): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  return r.arrayBuffer();
}
