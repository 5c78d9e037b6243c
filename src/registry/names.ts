// Names of people and places for synthetic population records. Weights are rough shares (per mille or
// percent, only their ratios matter), from published surname studies and the 2019 census.

export type Weighted = ReadonlyArray<readonly [string, number]>;

// Nguyễn ~38 %, then Trần, Lê, Phạm, Hoàng/Huỳnh, Phan, Vũ/Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý …
export const FAMILY_NAMES: Weighted = [
  ['Nguyễn', 380], ['Trần', 110], ['Lê', 95], ['Phạm', 70], ['Hoàng', 30], ['Huỳnh', 20], ['Phan', 45], ['Vũ', 20],
  ['Võ', 19], ['Đặng', 21], ['Bùi', 20], ['Đỗ', 14], ['Hồ', 13], ['Ngô', 13], ['Dương', 10], ['Lý', 5], ['Đào', 4],
  ['Đoàn', 4], ['Trương', 4], ['Đinh', 4], ['Trịnh', 4], ['Lâm', 3], ['Mai', 3], ['Lương', 3], ['Cao', 3], ['Hà', 3],
  ['Phùng', 2], ['Tô', 2], ['Tạ', 2], ['Châu', 2], ['Thái', 2], ['Lưu', 2], ['Chu', 2], ['Triệu', 2], ['Nông', 2],
  ['Vương', 2], ['Kiều', 1], ['Quách', 1], ['La', 1], ['Từ', 1], ['Đàm', 1], ['Mạc', 1], ['Tăng', 1], ['Lò', 1],
  ['Khúc', 1], ['Tôn', 1], ['Văn', 1],
];

// Middle names shift with the generations: Văn and Thị dominate among those born before about 1980.
export const MIDDLE_NAMES = {
  male: {
    older: [['Văn', 50], ['Đức', 9], ['Hữu', 9], ['Quang', 6], ['Công', 6], ['Xuân', 5], ['Minh', 5], ['Thanh', 4], ['Ngọc', 3], ['Đình', 3]],
    younger: [['Văn', 14], ['Minh', 14], ['Đức', 9], ['Quang', 7], ['Hoàng', 7], ['Gia', 7], ['Anh', 6], ['Thành', 5], ['Hữu', 5], ['Bảo', 5], ['Duy', 5], ['Nhật', 4], ['Trọng', 4], ['Thế', 3], ['Tuấn', 3], ['Đăng', 2]],
  },
  female: {
    older: [['Thị', 75], ['Ngọc', 6], ['Thu', 5], ['Thanh', 5], ['Kim', 4], ['Hồng', 3], ['Minh', 2]],
    younger: [['Thị', 24], ['Ngọc', 12], ['Thu', 8], ['Thanh', 6], ['Bảo', 6], ['Khánh', 6], ['Phương', 6], ['Minh', 6], ['Hồng', 5], ['Mai', 5], ['Quỳnh', 5], ['Hà', 5], ['Kim', 5], ['Diệu', 3], ['Thảo', 3]],
  },
} as const satisfies Record<'male' | 'female', Record<'older' | 'younger', Weighted>>;

export const GIVEN_NAMES = {
  male: [
    'An', 'Bình', 'Cường', 'Dũng', 'Đạt', 'Đức', 'Duy', 'Hải', 'Hiếu', 'Hòa', 'Hoàng', 'Hùng', 'Huy', 'Hưng', 'Khang',
    'Khánh', 'Khoa', 'Kiên', 'Long', 'Lâm', 'Lộc', 'Minh', 'Nam', 'Nghĩa', 'Nhân', 'Phong', 'Phúc', 'Quân', 'Quang',
    'Sơn', 'Tài', 'Tâm', 'Thắng', 'Thành', 'Thịnh', 'Tiến', 'Toàn', 'Trí', 'Trung', 'Tuấn', 'Tùng', 'Việt', 'Vinh',
    'Vũ', 'Bảo', 'Đăng', 'Hậu', 'Thái', 'Chiến', 'Công',
  ],
  female: [
    'Anh', 'Ánh', 'Châu', 'Chi', 'Diệp', 'Dung', 'Giang', 'Hà', 'Hạnh', 'Hằng', 'Hiền', 'Hoa', 'Hồng', 'Huệ', 'Hương',
    'Huyền', 'Lan', 'Liên', 'Linh', 'Loan', 'Mai', 'My', 'Nga', 'Ngân', 'Ngọc', 'Nhi', 'Nhung', 'Oanh', 'Phương',
    'Quyên', 'Quỳnh', 'Tâm', 'Thảo', 'Thu', 'Thủy', 'Trang', 'Trâm', 'Uyên', 'Vân', 'Vy', 'Yến', 'Lệ', 'Xuân', 'Hậu',
    'Thư', 'Hân', 'Nhàn', 'Tuyết', 'Trinh', 'Đào',
  ],
} as const;

// Birth-registration province code → population (hundred thousands, 2019 census, rounded) and the
// two-digit vehicle plate series registered there.
export const PROVINCE_FACTS: Readonly<Record<string, readonly [population: number, plates: readonly string[]]>> = {
  '001': [84, ['29', '30', '31', '32', '33', '40']], '002': [9, ['23']], '004': [5, ['11']], '006': [3, ['97']],
  '008': [8, ['22']], '010': [7, ['24']], '011': [6, ['27']], '012': [5, ['25']], '014': [13, ['26']], '015': [8, ['21']],
  '017': [9, ['28']], '019': [13, ['20']], '020': [8, ['12']], '022': [13, ['14']], '024': [18, ['98']], '025': [15, ['19']],
  '026': [12, ['88']], '027': [14, ['99']], '030': [19, ['34']], '031': [20, ['15', '16']], '033': [13, ['89']],
  '034': [19, ['17']], '035': [9, ['90']], '036': [18, ['18']], '037': [10, ['35']], '038': [36, ['36']], '040': [34, ['37']],
  '042': [13, ['38']], '044': [9, ['73']], '045': [6, ['74']], '046': [11, ['75']], '048': [12, ['43']], '049': [15, ['92']],
  '051': [12, ['76']], '052': [15, ['77']], '054': [9, ['78']], '056': [12, ['79']], '058': [6, ['85']], '060': [12, ['86']],
  '062': [5, ['82']], '064': [15, ['81']], '066': [19, ['47']], '067': [6, ['48']], '068': [13, ['49']], '070': [10, ['93']],
  '072': [12, ['70']], '074': [26, ['61']], '075': [31, ['60']], '077': [11, ['72']],
  '079': [90, ['41', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59']], '080': [17, ['62']], '082': [18, ['63']],
  '083': [13, ['71']], '084': [10, ['84']], '086': [10, ['64']], '087': [16, ['66']], '089': [19, ['67']], '091': [17, ['68']],
  '092': [12, ['65']], '093': [7, ['95']], '094': [12, ['83']], '095': [9, ['94']], '096': [12, ['69']],
};

/** The centrally-run cities: addresses there are streets and wards; elsewhere mostly villages and communes. */
export const CITIES: ReadonlySet<string> = new Set(['001', '031', '048', '079', '092']);

export const STREETS = [
  'Lê Lợi', 'Trần Hưng Đạo', 'Nguyễn Trãi', 'Hai Bà Trưng', 'Lý Thường Kiệt', 'Quang Trung', 'Điện Biên Phủ', 'Hùng Vương',
  'Lê Duẩn', 'Nguyễn Huệ', 'Phan Đình Phùng', 'Trần Phú', 'Nguyễn Du', 'Lê Thánh Tông', 'Hoàng Văn Thụ', 'Võ Thị Sáu',
  'Nguyễn Thị Minh Khai', 'Cách Mạng Tháng Tám', 'Bà Triệu', 'Lý Tự Trọng', 'Phan Chu Trinh', 'Ngô Quyền', 'Lạc Long Quân',
  'Trường Chinh', 'Nguyễn Văn Cừ', 'Tôn Đức Thắng', 'Lê Hồng Phong', 'Chu Văn An', 'Pasteur', 'Hàng Bài', 'Kim Mã', 'Giải Phóng',
];

export const PLACES = [
  'An Bình', 'An Phú', 'Bình An', 'Bình Minh', 'Cẩm Lệ', 'Đông Hòa', 'Hòa An', 'Hòa Bình', 'Hòa Khánh', 'Hòa Thuận', 'Hưng Lợi',
  'Kim Liên', 'Long Thạnh', 'Minh Khai', 'Nghĩa Tân', 'Phú Hòa', 'Phú Lợi', 'Phú Mỹ', 'Phước Long', 'Quang Trung', 'Tân Lập',
  'Tân Phong', 'Tân Thành', 'Thạch Bàn', 'Thanh Xuân', 'Thịnh Liệt', 'Thuận An', 'Tiền Phong', 'Trung Hòa', 'Vĩnh Phúc',
  'Xuân La', 'Yên Hòa', 'Đồng Tâm', 'Hợp Thành', 'Mỹ Xuyên', 'Long Hưng', 'Phong Điền', 'Cát Linh', 'Ngọc Hà', 'Bến Thành',
];

export const ETHNICITIES: Weighted = [
  ['Kinh', 853], ['Tày', 19], ['Thái', 19], ['Mường', 15], ['H\'Mông', 14], ['Khmer', 14], ['Nùng', 11], ['Dao', 9],
  ['Hoa', 8], ['Gia Rai', 5], ['Ê Đê', 4], ['Ba Na', 3], ['Sán Chay', 2], ['Chăm', 2], ['Cơ Ho', 2], ['Xơ Đăng', 2],
];

export const RELIGIONS: Weighted = [
  ['Không', 863], ['Công giáo', 61], ['Phật giáo', 48], ['Cao Đài', 11], ['Phật giáo Hòa Hảo', 10], ['Tin Lành', 10],
];

export const MOTORCYCLE_BRANDS: Weighted = [['Honda', 70], ['Yamaha', 15], ['Suzuki', 4], ['SYM', 4], ['Piaggio', 3], ['VinFast', 4]];
export const CAR_BRANDS: Weighted = [['Toyota', 22], ['Hyundai', 18], ['Kia', 14], ['Mazda', 12], ['Ford', 8], ['VinFast', 12], ['Honda', 8], ['Mitsubishi', 6]];
export const TRUCK_BRANDS: Weighted = [['Hino', 25], ['Isuzu', 25], ['Thaco', 30], ['Hyundai', 20]];

/** Card issuers: the police department until Decree 69/2024 took effect, the Ministry after. */
export const ID_CARD_ISSUER_BEFORE_2024_07 = 'Cục Cảnh sát quản lý hành chính về trật tự xã hội';
export const ID_CARD_ISSUER_FROM_2024_07 = 'Bộ Công an';
