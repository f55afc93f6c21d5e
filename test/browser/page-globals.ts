/**
 * Types for the browser globals that functions run inside the page (page.evaluate) touch. The
 * repository's tsconfig has no DOM lib (server code must not see browser globals), so these
 * functions read them as `(globalThis as unknown as PageGlobals)`: a cast, erased at compile time,
 * which keeps the serialised function self-contained.
 */
export interface PageNode {
  readonly id: string;
  value: string;
  nodeValue: string | null;
  readonly textContent: string | null;
  readonly innerText: string;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  blur(): void;
}

export interface PageGlobals {
  readonly document: {
    readonly activeElement: PageNode | null;
    readonly body: PageNode;
    querySelectorAll(selector: string): ArrayLike<PageNode>;
    createTreeWalker(root: PageNode, whatToShow: number): { nextNode(): PageNode | null };
  };
  readonly sessionStorage: { readonly length: number; key(i: number): string | null; getItem(k: string): string | null };
  readonly localStorage: { readonly length: number };
  readonly axe: { run(context: unknown, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> };
}
