import { create } from "qrcode";
import { useMemo } from "react";
import { cx } from "../lib/cx";

export interface QrCodeProps {
  value: string;
  /** accessible description of what the code holds */
  label: string;
  className?: string;
}

/**
 * A QR code drawn as an SVG path (no data: URL, no inline markup), so it
 * renders under a strict Content-Security-Policy.
 */
export function QrCode({ value, label, className }: QrCodeProps) {
  const { size, path } = useMemo(() => {
    const qr = create(value, { errorCorrectionLevel: "M" });
    const n = qr.modules.size;
    let d = "";
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        if (qr.modules.get(row, col)) d += `M${col} ${row}h1v1h-1z`;
      }
    }
    return { size: n, path: d };
  }, [value]);
  const quiet = 4;
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`${-quiet} ${-quiet} ${size + quiet * 2} ${size + quiet * 2}`}
      shapeRendering="crispEdges"
      className={cx("rounded-lg bg-white", className)}
    >
      <rect x={-quiet} y={-quiet} width={size + quiet * 2} height={size + quiet * 2} fill="#fff" />
      <path d={path} fill="#0b1a33" />
    </svg>
  );
}
