import { useEffect, useRef } from 'react';
import type { RgbaImage } from '../landmarks/types.ts';
import { toImageData } from '../util/bitmap.ts';

/** Shows an RgbaImage (crop, landmark image, generated frame) at its own resolution, CSS-scaled. */
export function RgbaCanvas({ image, label, className }: { image: RgbaImage; label: string; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    canvas.width = image.width;
    canvas.height = image.height;
    ctx.putImageData(toImageData(image), 0, 0);
  }, [image]);
  return <canvas ref={ref} role="img" aria-label={label} className={className} />;
}
