"""The demo district's fixed vocabulary: scales, names, project catalogues.

Pure data and a seeded ``random.Random``: the same seed gives the same district, name for name,
so a run interrupted half-way continues with exactly the commands it would have run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from domain.funds.aggregate import SpendingCategory as C


@dataclass(frozen=True)
class Scale:
    """How big a demo is."""

    name: str
    county: str
    """The 6-digit county code (province, city, county) every division code starts with."""
    district: str
    streets: int
    communities: int
    members: int
    grids: int
    """How many grids the communities have together (about five a community)."""
    first_street: int = 1
    """The first street's 3-digit number (small scale uses its own, so it can sit beside district)."""
    requests: int = 0
    """Residents' requests loaded for the year: a district receives about 30,000, the demo loads a
    fifth of that (``district``: 6,000) to keep within its three minutes."""
    shops: int = 0
    """The business district's demonstration-shop round quota (a district shows about 48 shops)."""


SCALES: dict[str, Scale] = {
    "small": Scale("small", "440307", "龙岗区委（小样）", 1, 4, 60, 10, first_street=90, requests=48, shops=4),
    "district": Scale("district", "440307", "龙岗区委", 11, 82, 8902, 426, requests=6_000, shops=24),
    "city": Scale("city", "211102", "盘锦市委", 24, 252, 27_000, 1056, requests=18_000, shops=48),
}

STREETS = ("平湖", "坪地", "横岗", "龙城", "龙岗", "宝龙", "布吉", "吉华", "坂田", "南湾", "园山", "大鹏",
           "葵涌", "南澳", "兴隆", "大洼", "田家", "新开", "榆树", "东风", "新生", "石山", "高升", "沙岭")
PLACES = ("华南", "新木", "山厦", "禾花", "白泥坑", "凤凰", "辅城坳", "鹅公岭", "良安田", "新南", "上李朗",
          "水径", "长龙", "荔枝", "翠湖", "文景", "龙西", "愉园", "五联", "尚景", "嶂背", "南约", "松柏",
          "怡丰", "六联", "保安", "四联", "西坑", "安良", "简龙", "大万", "回龙埔", "黄阁坑", "龙东", "宝南",
          "新联", "爱联", "盛平", "龙平", "紫薇", "清林", "吉祥", "岗贝", "雨花", "天安", "丹平", "坂田",
          "五和", "杨美", "象角塘", "南岭", "樟树布", "丹竹头", "沙湾", "厦村", "布澜", "金鹏", "龙岭")
SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
            "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭")
GIVEN_M = ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "建华", "志强", "国平", "永刚", "文斌",
           "海波", "俊杰", "晓东", "德明", "振华", "家豪", "子轩", "浩然")
GIVEN_F = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀英", "桂兰", "玉梅", "晓红", "丽华", "慧敏",
           "婷婷", "雪梅", "春燕", "欣怡", "梓涵", "雨婷", "佳琪", "思琪")
MINORITIES = ("壮族", "满族", "回族", "苗族", "土家族", "瑶族", "畲族", "蒙古族", "朝鲜族")
PAYEES = ("深圳市龙岗社区服务中心", "龙岗区志愿服务联合会", "深圳市和美社工服务社", "龙城文化传播有限公司",
          "平湖印务有限公司", "坂田餐饮服务有限公司")

CATALOGUE: dict[C, tuple[str, ...]] = {
    C.PUBLIC_SERVICE: (
        "长者饭堂", "老年助餐点", "独居老人探访", "社区健康义诊", "四点半课堂", "暑期托管班", "残障人士康复",
        "便民理发日", "家电义修", "社区食堂补贴", "困难家庭帮扶", "适老化改造", "母婴室建设", "儿童之家",
        "社区图书角", "防溺水宣传", "消防安全演练", "反诈宣传进楼栋", "夜间照明改造", "楼道无障碍扶手"),
    C.PARTY_BUILDING: (
        "红色微党课", "党员政治生日", "主题党日活动", "党群服务站布置", "党员先锋岗", "红色观影", "党史学习角",
        "流动党员之家", "党员积分超市", "初心讲堂", "红色研学", "党员志愿服务队", "两新组织党建联席会",
        "党建阵地标识", "党员示范岗评选", "老党员口述史", "党建书屋", "入党积极分子培训", "七一表彰", "党员亮身份"),
    C.SELF_GOVERNANCE: (
        "楼道议事会", "居民议事厅", "小区业委会培训", "邻里节", "社区规约宣传", "垃圾分类督导", "楼长培训",
        "协商议事台账", "停车秩序共治", "社区微更新", "居民公约修订", "小区环境整治", "邻里互助站", "平安巡逻队",
        "社区民意调查", "物业服务评议", "共建花园", "楼栋自治小组", "社区达人秀", "居民说事点"),
    C.OTHER_SERVICE: (
        "新就业群体驿站", "外卖小哥暖心驿站", "社区运动会", "广场舞培训", "书法兴趣班", "社区摄影展", "中秋游园会",
        "春节送福", "端午包粽子", "社区合唱团", "亲子阅读", "非遗手作课", "法律咨询日", "心理健康讲座",
        "青年联谊会", "社区电影夜", "退役军人之家", "妇女之家活动", "科普进社区", "文明实践站"),
}
REQUESTS: dict[str, tuple[str, ...]] = {
    "ROADS": ("人行道地砖松动", "路面坑洼积水", "井盖缺失", "路灯不亮", "减速带损坏"),
    "ENVIRONMENT": ("楼下垃圾堆积", "绿化带杂草丛生", "小区噪音扰民", "油烟直排"),
    "NEIGHBOUR_DISPUTE": ("楼上漏水纠纷", "占用公共楼道", "宠物扰邻", "停车位争议"),
    "ELDERLY_CARE": ("独居老人需陪同就医", "高龄老人助餐申请", "老人家中水管爆裂", "适老化改造咨询"),
    "SAFETY": ("电动车楼道充电", "消防通道被占", "高空抛物", "围墙开裂"),
    "SANITATION": ("化粪池外溢", "垃圾分类点异味", "公厕无人保洁"),
    "PROPERTY": ("电梯频繁故障", "物业费公示不清", "门禁系统损坏", "二次供水水质浑浊"),
    "OTHER": ("低保政策咨询", "办理居住证明", "社保卡补办咨询"),
}
"""What residents ask for, by category (the requests' default catalogue)."""
DISTRICT_DEPARTMENTS = (("龙岗区城市管理和综合执法局", "城管", ("ROADS", "ENVIRONMENT", "SANITATION")),
                        ("龙岗区民政局", "民政", ("ELDERLY_CARE", "OTHER")),
                        ("龙岗区住房和建设局", "住建", ("PROPERTY", "SAFETY")))
STREET_DEPARTMENTS = (("交通办", "交通", ("ROADS",)), ("综治办", "综治", ("NEIGHBOUR_DISPUTE", "SAFETY")))
"""Departments (职能部门) the district and every street register, with the categories they handle."""
BENEFICIARIES = ("独居老人 {n} 人", "居民 {n} 户", "党员 {n} 人", "学龄儿童 {n} 人", "新就业群体 {n} 人")


def person(rng: random.Random, today: date, full: bool) -> tuple[str, bool, date, str, date]:
    """(name, male, birth date, ethnicity, joined on) of a member."""
    male = rng.random() < 0.62
    name = rng.choice(SURNAMES) + rng.choice(GIVEN_M if male else GIVEN_F)
    age = int(rng.triangular(20, 88, 52))
    born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    ethnicity = "汉族" if rng.random() < 0.93 else rng.choice(MINORITIES)
    if full:
        earliest = date(born.year + 18, born.month, born.day) + timedelta(days=1)
        latest = today - timedelta(days=400)
        joined = latest if earliest >= latest else earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
    else:  # probationary: joined within the last year
        joined = today - timedelta(days=rng.randint(15, 350))
    return name, male, born, ethnicity, joined


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(county: str, born: date, serial: int) -> str:
    """A valid GB 11643 resident ID number: county, birth date, a 3-digit serial, the check digit."""
    body = f"{county}{born:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
