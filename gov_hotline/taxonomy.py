"""The default catalogue a new hotline tenant starts from; every part is editable per tenant."""

from __future__ import annotations

REQUEST_TYPES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")

# Top level exactly as the 12345 issue lists it; second levels as city hotlines use them.
DEFAULT_TAXONOMY: dict[str, list[str]] = {
    "城乡建设": ["违法建设", "市容环境卫生", "占道经营", "市政道路设施", "园林绿化"],
    "生态环境": ["噪音污染", "大气污染", "水污染", "油烟污染", "固体废物"],
    "交通运输": ["公交服务", "出租车网约车", "道路交通设施", "停车管理", "交通拥堵"],
    "劳动保障": ["欠薪", "社会保险", "劳动合同", "就业招聘", "工伤认定"],
    "市场监管": ["食品安全", "消费维权", "价格违法", "无证经营", "虚假广告"],
    "教育": ["入学招生", "校外培训", "学校收费", "校园安全"],
    "医疗卫生": ["医疗服务", "医保报销", "疫苗接种", "药品安全"],
    "公共安全": ["治安隐患", "消防安全", "电信诈骗", "安全生产"],
    "公用事业": ["供水", "供电", "燃气", "通信网络", "排水"],
    "住房保障": ["物业管理", "公租房保障房", "房屋质量", "租赁纠纷", "商品房交付"],
    "民政": ["养老服务", "社会救助低保", "婚姻登记", "殡葬管理", "残疾人帮扶"],
    "农业农村": ["农村土地", "农产品质量", "农业补贴", "动物防疫"],
    "其他": ["政策咨询", "表扬感谢", "其他事项"],
}

# Districts by city; a tenant's own list is seeded from its place in the tenancy tree (see
# `districts_for_tenant`) and edited by its catalogue admin afterwards.
CITY_DISTRICTS: dict[str, tuple[str, ...]] = {
    "广州": (
        "越秀区",
        "海珠区",
        "荔湾区",
        "天河区",
        "白云区",
        "黄埔区",
        "番禺区",
        "花都区",
        "南沙区",
        "从化区",
        "增城区",
    ),
    "深圳": (
        "福田区",
        "罗湖区",
        "南山区",
        "盐田区",
        "宝安区",
        "龙岗区",
        "龙华区",
        "坪山区",
        "光明区",
        "大鹏新区",
    ),
    "成都": (
        "锦江区",
        "青羊区",
        "金牛区",
        "武侯区",
        "成华区",
        "龙泉驿区",
        "青白江区",
        "新都区",
        "温江区",
        "双流区",
        "郫都区",
        "新津区",
    ),
}
# A provincial centre takes calls from every city of its province that has a list above.
PROVINCE_CITIES: dict[str, tuple[str, ...]] = {"广东": ("广州", "深圳"), "四川": ("成都",)}

# Kept for callers that want the Guangzhou list by name (the shipped labelled set is Guangzhou's).
DEFAULT_DISTRICTS = CITY_DISTRICTS["广州"]


def districts_for_names(names: list[str]) -> tuple[str, ...]:
    """The districts for a tenant whose own name and its ancestors' names are `names`, nearest
    first: the first name that holds a city gives that city's districts, a province gives all its
    cities'. No known place gives none (the catalogue admin adds them)."""
    for name in names:
        for city, districts in CITY_DISTRICTS.items():
            if city in name:
                return districts
        for province, cities in PROVINCE_CITIES.items():
            if province in name:
                return tuple(d for city in cities for d in CITY_DISTRICTS[city])
    return ()


# code, name
DEFAULT_DEPARTMENTS = (
    ("zjj", "市住房和城乡建设局"),
    ("cgj", "市城市管理和综合执法局"),
    ("sthj", "市生态环境局"),
    ("jtj", "市交通运输局"),
    ("jj", "市公安局交通警察支队"),
    ("rsj", "市人力资源和社会保障局"),
    ("scj", "市市场监督管理局"),
    ("jyj", "市教育局"),
    ("wjw", "市卫生健康委员会"),
    ("ybj", "市医疗保障局"),
    ("gaj", "市公安局"),
    ("xf", "市消防救援支队"),
    ("yjj", "市应急管理局"),
    ("swj", "市水务局"),
    ("gdj", "供电局"),
    ("rq", "市燃气集团"),
    ("txj", "市通信管理局"),
    ("mzj", "市民政局"),
    ("nyj", "市农业农村局"),
    ("zsj", "市政务服务数据管理局"),
    ("lyj", "市林业和园林局"),
    ("gfj", "市规划和自然资源局"),
)

# subcategory -> (lead department code, co-handling department codes)
DEFAULT_DISPATCH: dict[str, tuple[str, tuple[str, ...]]] = {
    "违法建设": ("cgj", ("gfj",)),
    "市容环境卫生": ("cgj", ()),
    "占道经营": ("cgj", ("scj",)),
    "市政道路设施": ("zjj", ("cgj",)),
    "园林绿化": ("lyj", ()),
    "噪音污染": ("sthj", ("gaj",)),
    "大气污染": ("sthj", ()),
    "水污染": ("sthj", ("swj",)),
    "油烟污染": ("sthj", ("cgj",)),
    "固体废物": ("sthj", ("cgj",)),
    "公交服务": ("jtj", ()),
    "出租车网约车": ("jtj", ()),
    "道路交通设施": ("jj", ("jtj",)),
    "停车管理": ("jj", ("cgj",)),
    "交通拥堵": ("jj", ()),
    "欠薪": ("rsj", ("zjj",)),
    "社会保险": ("rsj", ()),
    "劳动合同": ("rsj", ()),
    "就业招聘": ("rsj", ()),
    "工伤认定": ("rsj", ()),
    "食品安全": ("scj", ()),
    "消费维权": ("scj", ()),
    "价格违法": ("scj", ()),
    "无证经营": ("scj", ("cgj",)),
    "虚假广告": ("scj", ()),
    "入学招生": ("jyj", ()),
    "校外培训": ("jyj", ("scj",)),
    "学校收费": ("jyj", ()),
    "校园安全": ("jyj", ("gaj",)),
    "医疗服务": ("wjw", ()),
    "医保报销": ("ybj", ()),
    "疫苗接种": ("wjw", ()),
    "药品安全": ("scj", ("wjw",)),
    "治安隐患": ("gaj", ()),
    "消防安全": ("xf", ("yjj",)),
    "电信诈骗": ("gaj", ("txj",)),
    "安全生产": ("yjj", ()),
    "供水": ("swj", ()),
    "供电": ("gdj", ()),
    "燃气": ("rq", ("yjj",)),
    "通信网络": ("txj", ()),
    "排水": ("swj", ("zjj",)),
    "物业管理": ("zjj", ()),
    "公租房保障房": ("zjj", ()),
    "房屋质量": ("zjj", ()),
    "租赁纠纷": ("zjj", ()),
    "商品房交付": ("zjj", ("gfj",)),
    "养老服务": ("mzj", ()),
    "社会救助低保": ("mzj", ()),
    "婚姻登记": ("mzj", ()),
    "殡葬管理": ("mzj", ()),
    "残疾人帮扶": ("mzj", ()),
    "农村土地": ("nyj", ("gfj",)),
    "农产品质量": ("nyj", ("scj",)),
    "农业补贴": ("nyj", ()),
    "动物防疫": ("nyj", ()),
    "政策咨询": ("zsj", ()),
    "表扬感谢": ("zsj", ()),
    "其他事项": ("zsj", ()),
}

# Working days to close, by request type; urgency shortens it (see sla.py).
DEFAULT_SLA_DAYS = {"咨询": 2, "求助": 5, "投诉": 5, "举报": 10, "建议": 10, "表扬": 3}
URGENCY_SLA_DAYS = {"urgent": 2, "critical": 1}

# Emergency lines a call is transferred to, and words that mean the case belongs there.
EMERGENCY_LINES = {
    "119": ("起火", "着火", "火灾", "冒烟", "煤气泄漏", "燃气泄漏", "爆炸", "被困电梯"),
    "120": ("晕倒", "昏迷", "大出血", "心脏病发", "喘不上气", "急救"),
    "110": ("正在打架", "持刀", "抢劫", "有人打人", "入室盗窃", "绑架"),
    "122": ("交通事故", "车祸", "撞车", "追尾"),
}


def district_choices(districts, *, key=str, label=str) -> list:
    """Choices for a district select: grouped under their city ("广州市", "深圳市") in each city's
    own order when a tenant's districts span several cities (a provincial centre's), flat when
    they are one city's; districts of no known city come last."""
    districts = list(districts)
    city_of = {d: city for city, names in CITY_DISTRICTS.items() for d in names}
    cities = {city_of.get(label(d), "") for d in districts}
    order = {d: i for names in CITY_DISTRICTS.values() for i, d in enumerate(names)}
    districts.sort(key=lambda d: order.get(label(d), len(order)))
    if len(cities - {""}) <= 1:
        return [(key(d), label(d)) for d in districts]
    groups = [
        (f"{city}市", [(key(d), label(d)) for d in districts if city_of.get(label(d)) == city])
        for city in CITY_DISTRICTS
        if city in cities
    ]
    others = [(key(d), label(d)) for d in districts if label(d) not in city_of]
    return groups + others
