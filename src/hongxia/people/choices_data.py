"""Reference constants for generating and labelling people records.

Pure data, no Django imports, so it can be used from settings, migrations,
management commands and tests alike.

Sources and approximations:

- ``ETHNICITIES`` follows GB/T 3304 (names of the nationalities of China in
  romanization, with codes): codes ``01``-``56`` in the standard's order, plus
  ``97`` (其他, other/unidentified) and ``98`` (外国血统中国籍人士, Chinese
  citizens of foreign origin). The English column gives the usual English
  name (e.g. Tibetan, Uyghur, Korean, Manchu) rather than the standard's
  romanization (Zang, Uygur, Chosen, Man).
- ``HUAIHUA_ETHNIC_MIX`` is a rough share of Huaihua's population by
  ethnicity (Han about 60%, Dong and Miao the large minorities, then Tujia and
  Yao), rounded from published census summaries; for synthetic data only.
- ``SURNAMES`` weights are rounded national frequencies (王/李/张 about 7%
  each) nudged up for surnames common in west Hunan (杨, 龙, 吴, 向, 舒, 滕, 粟,
  蒲, 麻, 谭, 彭, 唐); they are normalised to sum to about 1. The list includes
  surnames with special readings (曾 单 覃 解 仇 区 查 朴 盖 缪 乐) and a few
  compound surnames, so name search has them to exercise.
- ``GIVEN_CHARS_*`` are characters typical of given names of people born
  roughly 1925-1966, including era names (建国, 援朝, 抗美, 解放, 卫红).
- ``RANKS`` weights are an estimate of the rank mix among retired cadres of a
  prefecture-level city: most retired at section (科级) level or below.
- The remaining lists are plausible, hand-written values for synthetic data
  and for labelled choices in forms.
"""

# (code, Chinese name, English name), GB/T 3304 order.
ETHNICITIES: list[tuple[str, str, str]] = [
    ("01", "汉族", "Han"),
    ("02", "蒙古族", "Mongol"),
    ("03", "回族", "Hui"),
    ("04", "藏族", "Tibetan"),
    ("05", "维吾尔族", "Uyghur"),
    ("06", "苗族", "Miao"),
    ("07", "彝族", "Yi"),
    ("08", "壮族", "Zhuang"),
    ("09", "布依族", "Bouyei"),
    ("10", "朝鲜族", "Korean"),
    ("11", "满族", "Manchu"),
    ("12", "侗族", "Dong"),
    ("13", "瑶族", "Yao"),
    ("14", "白族", "Bai"),
    ("15", "土家族", "Tujia"),
    ("16", "哈尼族", "Hani"),
    ("17", "哈萨克族", "Kazakh"),
    ("18", "傣族", "Dai"),
    ("19", "黎族", "Li"),
    ("20", "傈僳族", "Lisu"),
    ("21", "佤族", "Va"),
    ("22", "畲族", "She"),
    ("23", "高山族", "Gaoshan"),
    ("24", "拉祜族", "Lahu"),
    ("25", "水族", "Shui"),
    ("26", "东乡族", "Dongxiang"),
    ("27", "纳西族", "Naxi"),
    ("28", "景颇族", "Jingpo"),
    ("29", "柯尔克孜族", "Kyrgyz"),
    ("30", "土族", "Tu"),
    ("31", "达斡尔族", "Daur"),
    ("32", "仫佬族", "Mulao"),
    ("33", "羌族", "Qiang"),
    ("34", "布朗族", "Blang"),
    ("35", "撒拉族", "Salar"),
    ("36", "毛南族", "Maonan"),
    ("37", "仡佬族", "Gelao"),
    ("38", "锡伯族", "Xibe"),
    ("39", "阿昌族", "Achang"),
    ("40", "普米族", "Pumi"),
    ("41", "塔吉克族", "Tajik"),
    ("42", "怒族", "Nu"),
    ("43", "乌孜别克族", "Uzbek"),
    ("44", "俄罗斯族", "Russian"),
    ("45", "鄂温克族", "Evenki"),
    ("46", "德昂族", "De'ang"),
    ("47", "保安族", "Bonan"),
    ("48", "裕固族", "Yugur"),
    ("49", "京族", "Gin"),
    ("50", "塔塔尔族", "Tatar"),
    ("51", "独龙族", "Derung"),
    ("52", "鄂伦春族", "Oroqen"),
    ("53", "赫哲族", "Hezhen"),
    ("54", "门巴族", "Monba"),
    ("55", "珞巴族", "Lhoba"),
    ("56", "基诺族", "Jino"),
    ("97", "其他", "Other"),
    ("98", "外国血统中国籍人士", "Chinese citizen of foreign origin"),
]

# (ethnicity code, share of Huaihua's population); sums to 1.
HUAIHUA_ETHNIC_MIX: list[tuple[str, float]] = [
    ("01", 0.600),  # 汉族
    ("12", 0.170),  # 侗族
    ("06", 0.150),  # 苗族
    ("15", 0.030),  # 土家族
    ("13", 0.025),  # 瑶族
    ("14", 0.010),  # 白族
    ("03", 0.005),  # 回族
    ("08", 0.004),  # 壮族
    ("11", 0.003),  # 满族
    ("07", 0.001),  # 彝族
    ("02", 0.001),  # 蒙古族
    ("97", 0.001),  # 其他
]

# (surname, weight); weights sum to about 1.
SURNAMES: list[tuple[str, float]] = [
    ("王", 0.0881),
    ("李", 0.0881),
    ("张", 0.08443),
    ("刘", 0.06608),
    ("陈", 0.05629),
    ("杨", 0.04405),
    ("黄", 0.02937),
    ("赵", 0.0257),
    ("吴", 0.02692),
    ("周", 0.02325),
    ("徐", 0.01713),
    ("孙", 0.01591),
    ("马", 0.01468),
    ("朱", 0.01468),
    ("胡", 0.01468),
    ("郭", 0.01346),
    ("何", 0.01346),
    ("林", 0.01101),
    ("高", 0.01224),
    ("罗", 0.01101),
    ("郑", 0.00857),
    ("梁", 0.00857),
    ("谢", 0.00979),
    ("宋", 0.00734),
    ("唐", 0.00979),
    ("许", 0.00734),
    ("韩", 0.00612),
    ("冯", 0.00612),
    ("邓", 0.00734),
    ("曹", 0.00612),
    ("彭", 0.00734),
    ("曾", 0.00734),
    ("肖", 0.00734),
    ("田", 0.00612),
    ("董", 0.00489),
    ("袁", 0.00489),
    ("潘", 0.00489),
    ("于", 0.00367),
    ("蒋", 0.00612),
    ("蔡", 0.00489),
    ("余", 0.00489),
    ("杜", 0.00489),
    ("叶", 0.00489),
    ("程", 0.00489),
    ("苏", 0.00367),
    ("魏", 0.00367),
    ("吕", 0.00367),
    ("丁", 0.00367),
    ("任", 0.00367),
    ("沈", 0.00367),
    ("姚", 0.00489),
    ("卢", 0.00367),
    ("姜", 0.00367),
    ("崔", 0.00245),
    ("钟", 0.00367),
    ("谭", 0.00612),
    ("陆", 0.00367),
    ("汪", 0.00367),
    ("范", 0.00367),
    ("金", 0.00245),
    ("石", 0.00489),
    ("廖", 0.00367),
    ("贾", 0.00245),
    ("夏", 0.00367),
    ("韦", 0.00245),
    ("付", 0.00245),
    ("方", 0.00245),
    ("白", 0.00245),
    ("邹", 0.00367),
    ("孟", 0.00245),
    ("熊", 0.00367),
    ("秦", 0.00245),
    ("邱", 0.00245),
    ("江", 0.00245),
    ("尹", 0.00245),
    ("薛", 0.00245),
    ("闫", 0.00122),
    ("段", 0.00245),
    ("雷", 0.00245),
    ("侯", 0.00245),
    ("龙", 0.00489),
    ("史", 0.00245),
    ("陶", 0.00245),
    ("黎", 0.00245),
    ("贺", 0.00367),
    ("顾", 0.00122),
    ("毛", 0.00245),
    ("郝", 0.00122),
    ("龚", 0.00245),
    ("邵", 0.00245),
    ("万", 0.00245),
    ("钱", 0.00122),
    ("严", 0.00245),
    ("覃", 0.00122),
    ("武", 0.00122),
    ("戴", 0.00245),
    ("莫", 0.00122),
    ("孔", 0.00122),
    ("向", 0.00367),
    ("汤", 0.00245),
    ("舒", 0.00184),
    ("滕", 0.00147),
    ("粟", 0.00122),
    ("蒲", 0.00098),
    ("麻", 0.00073),
    ("米", 0.00037),
    ("储", 0.00024),
    ("易", 0.00245),
    ("伍", 0.00184),
    ("欧", 0.00061),
    ("单", 0.00037),
    ("解", 0.00024),
    ("仇", 0.00024),
    ("区", 0.00012),
    ("查", 0.00024),
    ("朴", 0.00024),
    ("盖", 0.00012),
    ("缪", 0.00024),
    ("乐", 0.00024),
    ("欧阳", 0.00098),
    ("司马", 6e-05),
    ("诸葛", 4e-05),
    ("上官", 6e-05),
]

GIVEN_CHARS_MALE: str = (
    "建国华明军伟志德文平武强庆林生成海春东荣胜利新光忠杰斌勇刚永"
    "福贵昌祥兴卫红民安清云松柏家树宝金玉开长运发元正先中跃进学治"
    "富贤仁义礼信良善友培育才章俊亮辉耀宏远鹏飞龙虎雄世振继承宗祖"
    "恩泽洪涛波湘沅江山岳峰石守保全和顺爱党援朝抗美解放鹤辰溆靖茂"
    "盛喜根炳锡铭钧炎焕森桥堂道达勤俭朴实奎魁超登科泰仲伯敬孝廉智"
    "毅坚锋钢汉泉旭升向阳方凯"
)
GIVEN_CHARS_FEMALE: str = (
    "秀英兰珍芳玉桂凤梅花莲菊萍霞云琴娟丽美华红艳翠琼芝香秋春冬月"
    "雪素淑贞惠慧敏静娥姣娇妹妮姑娣婉婷嫦仙莉蓉荷桃杏樱芬芸蕙瑶瑛"
    "琳彩霓虹燕鸾鸿雁爱亚丹青碧满银金群先知晓明新卫军援朝建平清洁"
    "纯贤良德顺巧灵欣喜乐福寿珠宝钗环佩瑞祥荣湘沅双竹枝叶芹莺鹃娜"
    "妍姿媛娴婵蓓蕾薇茜莎雯霜露冰玲珊瑾佳彦琪馨颖宁安康玫菲芙梦怡"
    "悦恬"
)

# (code, Chinese, English, weight among retirees); weights sum to 1.
RANKS: list[tuple[str, str, str, float]] = [
    ("shengbu", "省部级", "Provincial/ministerial level", 0.001),
    ("ting_zheng", "厅局级正职", "Department/bureau level, principal", 0.004),
    ("ting_fu", "厅局级副职", "Department/bureau level, deputy", 0.010),
    ("chu_zheng", "县处级正职", "County/division level, principal", 0.035),
    ("chu_fu", "县处级副职", "County/division level, deputy", 0.070),
    ("ke_zheng", "乡科级正职", "Township/section level, principal", 0.160),
    ("ke_fu", "乡科级副职", "Township/section level, deputy", 0.200),
    ("keyuan", "科员", "Section member", 0.300),
    ("banshiyuan", "办事员", "Clerk", 0.150),
    ("other", "其他", "Other", 0.070),
]

# Former work units; ``{place}`` is a county or city name such as 怀化市 or 沅陵县.
FORMER_UNIT_TEMPLATES: list[str] = [
    "中共{place}委员会办公室",
    "中共{place}委员会组织部",
    "中共{place}委员会宣传部",
    "中共{place}委员会统战部",
    "中共{place}委员会政法委员会",
    "中共{place}纪律检查委员会",
    "中共{place}委员会党校",
    "中共{place}委员会老干部局",
    "{place}人民代表大会常务委员会",
    "政协{place}委员会",
    "{place}人民政府办公室",
    "{place}发展和改革局",
    "{place}计划委员会",
    "{place}经济委员会",
    "{place}教育局",
    "{place}科学技术局",
    "{place}公安局",
    "{place}民政局",
    "{place}司法局",
    "{place}财政局",
    "{place}人力资源和社会保障局",
    "{place}劳动局",
    "{place}人事局",
    "{place}自然资源局",
    "{place}国土资源局",
    "{place}城乡建设局",
    "{place}交通运输局",
    "{place}水利局",
    "{place}农业农村局",
    "{place}林业局",
    "{place}畜牧水产局",
    "{place}商务局",
    "{place}文化旅游广电局",
    "{place}卫生健康局",
    "{place}审计局",
    "{place}统计局",
    "{place}市场监督管理局",
    "{place}工商行政管理局",
    "{place}税务局",
    "{place}粮食局",
    "{place}物价局",
    "{place}档案馆",
    "{place}气象局",
    "{place}人民法院",
    "{place}人民检察院",
    "{place}人民武装部",
    "{place}总工会",
    "共青团{place}委员会",
    "{place}妇女联合会",
    "{place}供销合作社",
    "{place}人民医院",
    "{place}中医医院",
    "{place}妇幼保健院",
    "{place}疾病预防控制中心",
    "{place}第一中学",
    "{place}第二中学",
    "{place}职业中专学校",
    "{place}实验小学",
    "{place}教师进修学校",
    "{place}广播电视台",
    "{place}新华书店",
    "{place}邮电局",
    "{place}电力公司",
    "{place}农业机械厂",
    "{place}汽车运输公司",
    "{place}国营林场",
]

# Street and road names for synthetic addresses (many are real Huaihua streets).
STREET_NAMES: list[str] = [
    "迎丰中路",
    "迎丰东路",
    "迎丰西路",
    "人民南路",
    "人民中路",
    "人民北路",
    "天星东路",
    "天星西路",
    "鹤洲北路",
    "鹤洲南路",
    "锦溪南路",
    "锦溪北路",
    "顺天北路",
    "顺天南路",
    "红星中路",
    "红星南路",
    "红星北路",
    "湖天南大道",
    "湖天北大道",
    "舞阳大道",
    "府星路",
    "芷江路",
    "梨园路",
    "怀北路",
    "瑞丰路",
    "正清路",
    "花溪路",
    "锦园路",
    "神龙路",
    "金海路",
    "高堰路",
    "太平桥路",
    "榆市路",
    "沿河路",
    "宏宇路",
    "杨村路",
    "黄岩路",
    "武陵路",
    "鹤鸣路",
    "解放路",
    "建设路",
    "新华路",
    "中山路",
    "胜利路",
    "文化路",
    "青年路",
    "和平路",
    "滨江路",
    "兴隆路",
    "南正街",
    "北正街",
    "沅江路",
    "河滨路",
    "新街",
    "高坡街",
    "辰州路",
    "卢峰路",
    "渠阳路",
    "双江路",
    "晃州大道",
    "舞水路",
    "雪峰路",
]

# 精细分类 tags: (code, Chinese, English).
CLASSIFICATION_TAGS: list[tuple[str, str, str]] = [
    ("aged80", "高龄", "Aged 80 or over"),
    ("disabled", "失能", "Disabled (needs full care)"),
    ("semi_disabled", "半失能", "Partly disabled"),
    ("living_alone", "独居", "Living alone"),
    ("empty_nest", "空巢", "Empty nest"),
    ("extreme_hardship", "特困", "Extreme hardship"),
    ("serious_illness", "重病", "Serious illness"),
    ("inactive", "长期未参加活动", "Long inactive"),
    ("no_family", "孤寡", "No family"),
    ("with_children", "随子女居住", "Living with children"),
]

POLITICAL_STATUSES: list[tuple[str, str, str]] = [
    ("cpc_member", "中共党员", "CPC member"),
    ("cpc_probationary", "中共预备党员", "CPC probationary member"),
    ("democratic_party", "民主党派", "Democratic party member"),
    ("masses", "群众", "No party affiliation (masses)"),
    ("non_party", "无党派人士", "Non-party personage"),
]

HEALTH_STATUSES: list[tuple[str, str, str]] = [
    ("good", "健康", "Good"),
    ("fair", "一般", "Fair"),
    ("chronic", "慢性病", "Chronic illness"),
    ("serious", "重病", "Serious illness"),
    ("disabled", "失能", "Disabled"),
]

# Relation of a contact or family member to the cadre.
RELATIONS: list[tuple[str, str, str]] = [
    ("spouse", "配偶", "Spouse"),
    ("son", "儿子", "Son"),
    ("daughter", "女儿", "Daughter"),
    ("daughter_in_law", "儿媳", "Daughter-in-law"),
    ("son_in_law", "女婿", "Son-in-law"),
    ("grandchild", "孙子女", "Grandchild"),
    ("sibling", "兄弟姐妹", "Sibling"),
    ("relative", "其他亲属", "Other relative"),
    ("friend_neighbour", "朋友邻居", "Friend or neighbour"),
    ("carer", "护工", "Carer"),
]
