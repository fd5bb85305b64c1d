// Debian's Chromium and the flags every automated run uses (Playwright tests, data preparation):
// quiet on a closed network, runnable as root, WebGPU on SwiftShader when there is no GPU.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--disable-quic',
  '--disable-domain-reliability',
  '--metrics-recording-only',
];
