// Page text in Vietnamese (default) and English. Keys are shared; every key exists in both languages.
export const LANGUAGES = ['vi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const vi = {
  'lang.name': 'Tiếng Việt',
  'lang.switch': 'English',
  'brand': 'Định danh điện tử',
  'brand.tagline': 'Hệ thống định danh và xác thực điện tử quốc gia',
  'login.title': 'Đăng nhập',
  'login.heading': 'Đăng nhập bằng tài khoản định danh điện tử',
  'login.for_client': '{client} đề nghị bạn đăng nhập để tiếp tục.',
  'login.username': 'Số định danh cá nhân',
  'login.username_hint': '12 chữ số, in trên thẻ căn cước',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.cancel': 'Hủy và quay lại dịch vụ',
  'login.error.invalid_credentials': 'Số định danh cá nhân hoặc mật khẩu không đúng.',
  'login.error.malformed_id': 'Số định danh cá nhân gồm đúng 12 chữ số.',
  'login.error.missing': 'Vui lòng nhập số định danh cá nhân và mật khẩu.',
  'login.forgot': 'Quên mật khẩu?',
  'login.error.throttled': 'Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.',
  'login.error.locked': 'Tài khoản của bạn đang bị khóa. Vui lòng liên hệ cơ quan công an nơi bạn đăng ký để được mở khóa.',
  'login.error.revoked': 'Tài khoản này đã bị thu hồi và không thể đăng nhập.',
  'login.notice.password_reset': 'Mật khẩu đã được đặt lại. Vui lòng đăng nhập bằng mật khẩu mới.',
  'password.title': 'Đổi mật khẩu',
  'password.heading_first': 'Đặt mật khẩu mới trước khi tiếp tục',
  'password.explain_first': 'Mật khẩu bạn vừa dùng được gửi qua tin nhắn và chỉ dùng một lần. Hãy chọn mật khẩu của riêng bạn.',
  'password.new': 'Mật khẩu mới',
  'password.rules': 'Ít nhất 8 ký tự; không dùng số định danh, ngày sinh hoặc mật khẩu phổ biến.',
  'password.confirm': 'Nhập lại mật khẩu mới',
  'password.submit': 'Lưu mật khẩu',
  'password.problem.too_short': 'Mật khẩu cần ít nhất 8 ký tự.',
  'password.problem.too_long': 'Mật khẩu dài tối đa 128 ký tự.',
  'password.problem.mismatch': 'Hai mật khẩu bạn nhập không khớp nhau.',
  'password.problem.contains_personal_id': 'Mật khẩu không được chứa số định danh cá nhân.',
  'password.problem.contains_birthdate': 'Mật khẩu không được chứa ngày sinh của bạn.',
  'password.problem.common': 'Mật khẩu này quá phổ biến nên dễ bị đoán. Hãy chọn mật khẩu khác.',
  'reset.title': 'Đặt lại mật khẩu',
  'reset.request_explain': 'Nhập số định danh cá nhân. Nếu số này có tài khoản định danh điện tử, chúng tôi sẽ gửi mã xác nhận đến số điện thoại đã đăng ký.',
  'reset.send': 'Gửi mã xác nhận',
  'reset.sent': 'Nếu số định danh này có tài khoản, mã xác nhận đã được gửi đến số điện thoại đã đăng ký. Mã có hiệu lực trong {minutes} phút.',
  'reset.code': 'Mã xác nhận (6 chữ số)',
  'reset.submit': 'Đặt lại mật khẩu',
  'reset.invalid_code': 'Mã xác nhận không đúng hoặc đã hết hạn.',
  'reset.back': 'Quay lại đăng nhập',
  'consent.title': 'Chia sẻ thông tin',
  'consent.heading': '{client} muốn nhận các thông tin sau của bạn',
  'consent.signed_in_as': 'Bạn đang đăng nhập với tài khoản {name}.',
  'consent.approve': 'Đồng ý chia sẻ',
  'consent.deny': 'Từ chối',
  'consent.note': 'Bạn có thể thu hồi quyền truy cập này bất cứ lúc nào.',
  'claim.sub': 'Mã nhận diện tài khoản của bạn dành riêng cho dịch vụ này',
  'claim.name': 'Họ và tên',
  'claim.birthdate': 'Ngày sinh',
  'claim.gender': 'Giới tính',
  'claim.personal_id': 'Số định danh cá nhân',
  'claim.phone_number': 'Số điện thoại',
  'claim.email': 'Địa chỉ thư điện tử',
  'claim.offline_access': 'Duy trì quyền truy cập khi bạn không trực tuyến',
  'expired.title': 'Phiên đăng nhập đã hết hạn',
  'expired.body': 'Phiên đăng nhập này đã hết hạn hoặc đã được sử dụng. Vui lòng quay lại trang của dịch vụ và đăng nhập lại.',
  'error.title': 'Đã xảy ra lỗi',
  'error.body': 'Rất tiếc, yêu cầu của bạn không thể thực hiện. Vui lòng quay lại trang của dịch vụ và thử lại.',
  'error.csrf': 'Biểu mẫu đã hết hiệu lực. Vui lòng tải lại trang và thử lại.',
  'error.not_found': 'Không tìm thấy trang bạn yêu cầu.',
  'error.rate_limited': 'Có quá nhiều yêu cầu từ mạng của bạn. Vui lòng thử lại sau ít phút.',
  'error.code': 'Mã lỗi',
  'error.retry': 'Thử lại',
  'logout.title': 'Đăng xuất',
  'logout.heading': 'Bạn có muốn đăng xuất khỏi tài khoản định danh điện tử?',
  'logout.confirm': 'Đăng xuất',
  'logout.stay': 'Ở lại',
  'logout.done': 'Bạn đã đăng xuất.',
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  'lang.name': 'English',
  'lang.switch': 'Tiếng Việt',
  'brand': 'Electronic identification',
  'brand.tagline': 'National electronic identification and authentication system',
  'login.title': 'Sign in',
  'login.heading': 'Sign in with your e-ID account',
  'login.for_client': '{client} asks you to sign in to continue.',
  'login.username': 'Personal identification number',
  'login.username_hint': '12 digits, printed on your citizen ID card',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.cancel': 'Cancel and return to the service',
  'login.error.invalid_credentials': 'The personal identification number or password is incorrect.',
  'login.error.malformed_id': 'A personal identification number has exactly 12 digits.',
  'login.error.missing': 'Please enter your personal identification number and password.',
  'login.forgot': 'Forgot your password?',
  'login.error.throttled': 'Too many failed attempts. Please try again in {minutes} minutes.',
  'login.error.locked': 'Your account is locked. Please contact the police office where you registered to have it unlocked.',
  'login.error.revoked': 'This account has been revoked and cannot sign in.',
  'login.notice.password_reset': 'Your password has been reset. Please sign in with your new password.',
  'password.title': 'Change your password',
  'password.heading_first': 'Choose a new password before you continue',
  'password.explain_first': 'The password you just used came by SMS and works only once. Choose a password of your own.',
  'password.new': 'New password',
  'password.rules': 'At least 8 characters; not your ID number, your date of birth or a common password.',
  'password.confirm': 'Repeat the new password',
  'password.submit': 'Save password',
  'password.problem.too_short': 'The password needs at least 8 characters.',
  'password.problem.too_long': 'The password can have at most 128 characters.',
  'password.problem.mismatch': 'The two passwords you typed are not the same.',
  'password.problem.contains_personal_id': 'The password must not contain your personal identification number.',
  'password.problem.contains_birthdate': 'The password must not contain your date of birth.',
  'password.problem.common': 'This password is too common and easy to guess. Please choose another one.',
  'reset.title': 'Reset your password',
  'reset.request_explain': 'Enter your personal identification number. If it has an e-ID account, we will send a confirmation code to the registered phone.',
  'reset.send': 'Send code',
  'reset.sent': 'If this number has an e-ID account, a confirmation code has been sent to the registered phone. It is valid for {minutes} minutes.',
  'reset.code': 'Confirmation code (6 digits)',
  'reset.submit': 'Reset password',
  'reset.invalid_code': 'The confirmation code is wrong or has expired.',
  'reset.back': 'Back to sign in',
  'consent.title': 'Share your information',
  'consent.heading': '{client} would like to receive the following information about you',
  'consent.signed_in_as': 'You are signed in as {name}.',
  'consent.approve': 'Allow',
  'consent.deny': 'Deny',
  'consent.note': 'You can withdraw this access at any time.',
  'claim.sub': 'An identifier of your account, specific to this service',
  'claim.name': 'Full name',
  'claim.birthdate': 'Date of birth',
  'claim.gender': 'Sex',
  'claim.personal_id': 'Personal identification number',
  'claim.phone_number': 'Phone number',
  'claim.email': 'Email address',
  'claim.offline_access': 'Keep access while you are not signed in',
  'expired.title': 'Your sign-in has expired',
  'expired.body': 'This sign-in has expired or was already used. Please go back to the service and sign in again.',
  'error.title': 'Something went wrong',
  'error.body': 'Sorry, your request could not be completed. Please go back to the service and try again.',
  'error.csrf': 'This form has expired. Please reload the page and try again.',
  'error.not_found': 'The page you asked for does not exist.',
  'error.rate_limited': 'Too many requests from your network. Please try again in a few minutes.',
  'error.code': 'Error code',
  'error.retry': 'Try again',
  'logout.title': 'Sign out',
  'logout.heading': 'Do you want to sign out of your e-ID account?',
  'logout.confirm': 'Sign out',
  'logout.stay': 'Stay signed in',
  'logout.done': 'You have signed out.',
};

const CATALOGS: Record<Language, Record<MessageKey, string>> = { vi, en };

export type Translate = (key: MessageKey, vars?: Record<string, string>) => string;

export function translator(lang: Language): Translate {
  const catalog = CATALOGS[lang];
  return (key, vars) => catalog[key].replace(/\{(\w+)\}/g, (_, name: string) => vars?.[name] ?? `{${name}}`);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** First supported language in a space-separated preference list (ui_locales, BCP 47 tags). */
export function pickLanguage(preferences: string | undefined): Language | undefined {
  for (const tag of (preferences ?? '').split(/\s+/)) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return undefined;
}

// Claims that say one thing to a person are shown once (name parts, the "verified" flags).
const CLAIM_LABEL: Record<string, MessageKey> = {
  sub: 'claim.sub',
  name: 'claim.name',
  family_name: 'claim.name',
  middle_name: 'claim.name',
  given_name: 'claim.name',
  birthdate: 'claim.birthdate',
  gender: 'claim.gender',
  personal_id: 'claim.personal_id',
  phone_number: 'claim.phone_number',
  phone_number_verified: 'claim.phone_number',
  email: 'claim.email',
  email_verified: 'claim.email',
};

/** Labels, in order and without repeats, for the claims a relying party will receive. */
export function claimLabels(claims: Iterable<string>, t: Translate): string[] {
  const keys = new Set<MessageKey>();
  for (const claim of claims) {
    const key = CLAIM_LABEL[claim];
    if (key) keys.add(key);
  }
  return [...keys].map((key) => t(key));
}
