// Text of the sandbox app simulator (/sandbox/app) in Vietnamese (default) and English.
import type { Language } from '../interactions/i18n.ts';

const vi = {
  'title': 'Trình mô phỏng ứng dụng định danh điện tử',
  'lead': 'Đóng vai ứng dụng trên điện thoại cho công dân thử nghiệm mức độ 2: liên kết thiết bị mô phỏng (mật khẩu, mã SMS đọc từ hộp thư thử nghiệm, khóa ES256 giữ ở máy chủ sandbox) rồi dùng các chức năng của ứng dụng mà không cần điện thoại. Chỉ có khi chạy thử.',
  'enrol': 'Liên kết thiết bị mô phỏng',
  'persona': 'Công dân thử nghiệm',
  'device_name': 'Tên thiết bị',
  'device_name.default': 'Điện thoại mô phỏng',
  'submit': 'Liên kết',
  'devices': 'Thiết bị của {name}',
  'none': 'Chưa có thiết bị nào.',
  'simulated': 'mô phỏng',
  'other': 'thiết bị khác (không giữ khóa)',
  'open': 'Mở',
  'remove': 'Gỡ liên kết',
  'enrolled': 'Đã liên kết thiết bị mô phỏng {name}.',
  'removed': 'Đã gỡ liên kết thiết bị.',
  'refused': 'Không liên kết được: {error} — {description}',
  'not_simulated': 'Thiết bị này không phải thiết bị mô phỏng (hoặc đã bị gỡ).',
  'device': 'Thiết bị {name}',
  'device.citizen': 'Công dân: {name} (mức độ {level})',
  'device.refused': 'Máy chủ từ chối yêu cầu của thiết bị: {description}',
  'panels': 'Chức năng của ứng dụng',
  'back': 'Trình mô phỏng',
  'sandbox': 'Môi trường thử nghiệm',
  'sms': 'Hộp thư SMS',
};

type SimulatorKey = keyof typeof vi;

const en: Record<SimulatorKey, string> = {
  'title': 'e-ID app simulator',
  'lead': 'Plays the phone app for level-2 sandbox citizens: bind a simulated device (password, SMS code read from the sandbox inbox, an ES256 key kept on the sandbox server) and use the app\'s features without a phone. Sandbox only.',
  'enrol': 'Bind a simulated device',
  'persona': 'Sandbox citizen',
  'device_name': 'Device name',
  'device_name.default': 'Simulated phone',
  'submit': 'Bind',
  'devices': 'Devices of {name}',
  'none': 'No device yet.',
  'simulated': 'simulated',
  'other': 'other device (no key held)',
  'open': 'Open',
  'remove': 'Remove',
  'enrolled': 'Simulated device {name} bound.',
  'removed': 'Device removed.',
  'refused': 'Could not bind: {error} — {description}',
  'not_simulated': 'This is not a simulated device (or it was removed).',
  'device': 'Device {name}',
  'device.citizen': 'Citizen: {name} (level {level})',
  'device.refused': 'The server refused the device\'s request: {description}',
  'panels': 'App features',
  'back': 'Simulator',
  'sandbox': 'Sandbox',
  'sms': 'SMS inbox',
};

export function simulatorText(lang: Language): (key: SimulatorKey, vars?: Record<string, string>) => string {
  const catalog = lang === 'en' ? en : vi;
  return (key, vars = {}) => catalog[key].replace(/\{(\w+)\}/g, (_m, name: string) => vars[name] ?? `{${name}}`);
}
