// A QR code as an inline SVG, drawn in the page by the vendored qrcode-generator (no remote service).
import qrcode from '../vendor/qrcode-generator/qrcode.js';

const SVG = 'http://www.w3.org/2000/svg';
const QUIET = 4; // modules of white border the QR specification asks for

// An <svg> of text's QR code (byte mode, error correction M, the smallest version that fits):
// one path with a 1×1 square per dark module, at (column, row) offset by the quiet zone.
export function qrSvg(text, label) {
	const qr = qrcode(0, 'M');
	qr.addData(text, 'Byte');
	qr.make();
	const n = qr.getModuleCount();
	const size = n + 2 * QUIET;
	let d = '';
	for (let row = 0; row < n; row++) {
		for (let col = 0; col < n; col++) {
			if (qr.isDark(row, col)) d += `M${col + QUIET} ${row + QUIET}h1v1h-1z`;
		}
	}
	const svg = document.createElementNS(SVG, 'svg');
	svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
	svg.setAttribute('role', 'img');
	svg.setAttribute('aria-label', label);
	svg.setAttribute('shape-rendering', 'crispEdges');
	svg.dataset.modules = String(n);
	const background = document.createElementNS(SVG, 'rect');
	background.setAttribute('width', String(size));
	background.setAttribute('height', String(size));
	background.setAttribute('fill', '#ffffff');
	const modules = document.createElementNS(SVG, 'path');
	modules.setAttribute('d', d);
	modules.setAttribute('fill', '#000000');
	svg.append(background, modules);
	return svg;
}
