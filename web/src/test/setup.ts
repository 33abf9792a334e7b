/**
 * jsdom setup for the dashboard's component tests. jsdom has no `matchMedia` (uPlot calls it when
 * it is imported) and no canvas: both are stubbed here, named as stubs. The canvas stub answers
 * "no 2d context", so the chart draws nothing and the views show their text summary instead.
 */
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

// findBy*/waitFor: the machine may be busy running other test files at the same time.
configure({ asyncUtilTimeout: 5_000 });

if (typeof window.matchMedia !== 'function') {
  window.matchMedia = function matchMediaStub(query: string): MediaQueryList {
    return {
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    };
  };
}

Object.defineProperty(HTMLCanvasElement.prototype, 'getContext', {
  configurable: true,
  value: function getContextStub(): null {
    return null;
  },
});

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  window.location.hash = '';
});
