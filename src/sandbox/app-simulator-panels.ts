// The app simulator's panels beyond enrolment, linked from /sandbox/app and from each simulated device's page
// (with ?device=<id>). Each feature adds its own line: QR sign-in, CIBA, sharing.
export interface SimulatorPanel {
  /** Where the panel lives, e.g. /sandbox/app/qr; the device page appends ?device=<id>. */
  path: string;
  label: { vi: string; en: string };
}

export const SIMULATOR_PANELS: SimulatorPanel[] = [
  { path: '/sandbox/app/ciba', label: { vi: 'Yêu cầu xác thực từ ngân hàng (CIBA)', en: 'Bank requests (CIBA)' } },
  { path: '/sandbox/app/qr', label: { vi: 'Đăng nhập bằng mã QR', en: 'QR sign-in' } },
  { path: '/sandbox/app/sharing', label: { vi: 'Chia sẻ thông tin bằng mã QR', en: 'Share information by QR code' } },
];
