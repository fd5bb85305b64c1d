/** Records a canvas (the driven avatar) to WebM with MediaRecorder; nothing leaves the machine. */
export interface CanvasRecording {
  stop(): Promise<Blob>;
}

export function recordCanvas(canvas: HTMLCanvasElement, fps = 25): CanvasRecording {
  const stream = canvas.captureStream(fps);
  const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
  if (!type) throw new Error('This browser cannot record WebM video');
  const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_000_000 });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  recorder.start(250);
  return {
    stop: () =>
      new Promise<Blob>((resolve) => {
        recorder.onstop = () => {
          stream.getTracks().forEach((t) => t.stop());
          resolve(new Blob(chunks, { type: 'video/webm' }));
        };
        recorder.stop();
      }),
  };
}
