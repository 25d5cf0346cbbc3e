"""A small grammar of after-sales complaints (the generator's standard vocabulary), so a model trained on generated
complaints learns each category's meaning from many wordings rather than memorising a few sentences.

A complaint is an optional opener, one or two of its category's statements, an optional detail and an optional
closer. Statements name the problem in varied words and carry slots ({item}, {brand}, {n}, {money}) filled with
products, brands and numbers; openers and closers are shared by every category, so they teach nothing about the
category, as in real complaints. After-sales refusals often start with the problem that was refused, so they
sometimes borrow a quality or description statement: the category is what the buyer complains about last.

Written independently of the shifted and held-out wording in :mod:`trust.synth.text` (those stay a development
set and a clean test); do not copy sentences between them.
"""

from __future__ import annotations

import numpy as np

ITEMS = ["精华液", "面霜", "口红", "防晒霜", "面膜", "单肩包", "双肩包", "钱包", "机械表", "运动手表", "连衣裙", "卫衣",
         "牛仔裤", "羽绒服", "运动鞋", "婴儿奶粉", "纸尿裤", "鱼油", "钙片", "益生菌", "蓝牙耳机", "充电宝", "数据线",
         "平板电脑", "坚果礼盒", "牛肉干", "蜂蜜", "茶叶", "四件套", "保温杯", "洗发水", "电动牙刷", "吹风机", "手机"]
BRANDS = ["耐克", "阿迪达斯", "苹果", "兰蔻", "雅诗兰黛", "LV", "古驰", "香奈儿", "戴森", "华为", "迪奥", "Nike", "Coach",
          "欧莱雅", "飞利浦", "美的"]

STATEMENTS = {
    "counterfeit": [
        "{brand}的{item}收到一看就是假的", "和专柜买的{item}放一起对比，明显是假货", "拿去鉴定了，结论不是正品",
        "扫了防伪码，显示查无此产品", "标签做工粗糙，字都印错了，绝对是山寨货", "宣称{brand}正品，其实是仿冒的",
        "logo位置不对，走线跟正品差得远", "这个{item}就是高仿，卖家还说保真", "盒子上的编码和商品上的对不上",
        "送去官方售后检测，说不是他们家的产品", "味道和我以前用的正品完全不一样，肯定是假的", "序列号在官网上查不到",
        "外包装印刷模糊，一看就是冒牌的", "假一赔十都是骗人的，东西就是仿的", "官方客服确认这个批号根本不存在",
        "拿冒牌货冒充大牌卖", "卖假货还死不承认", "商家说是原单货，其实就是A货", "专柜柜姐一眼就看出是假的",
        "芯片读不出来，验不了真", "手感和正品差太多，假冒伪劣产品", "吊牌是手写补的，正品不可能这样", "{brand}官方说没有这个款式",
    ],
    "quality_defect": [
        "{item}用了{n}天就坏了", "刚拆开就发现有裂缝", "开机就黑屏，根本用不了", "洗了一次就严重缩水",
        "做工很差，线头到处都是", "鞋底开胶了，穿了不到一周", "电池鼓包了，不敢再用", "{item}有股刺鼻的味道，闻着头疼",
        "涂了以后脸又红又痒，过敏了", "零件松动，一晃就响", "充电时烫得厉害，吓人", "吃出了异物，太恶心了",
        "收到的零食已经过期了", "水果烂了一半", "面料起球特别严重", "屏幕有划痕和亮点", "耳机一边没有声音",
        "杯子漏水，盖子拧不紧", "拉链卡住拉不动，质量太次", "用料很廉价，一掰就断", "奶粉结块还有怪味",
        "洗完掉色把别的衣服都染了", "按键失灵，按了没反应", "刚用{n}次就断了",
    ],
    "not_as_described": [
        "实物和详情页的图片差太多了", "颜色跟网页上完全不是一个色", "页面写的纯棉，实际是化纤", "尺码标的L，穿上像S",
        "说好的{n}毫升，量出来少了一大半", "宣传能美白祛斑，用了一个月一点变化都没有", "号称七天瘦十斤，完全是骗人的",
        "说是进口原装，结果是国产贴牌的", "描述写的全新，收到的明显是翻新机", "卖家秀和买家秀根本是两个东西",
        "直播间里讲的功效都是夸大的", "标注的配置和实际不一样，内存少了一半", "说是真丝，其实是涤纶",
        "广告说有机无添加，配料表一堆添加剂", "主播承诺的规格和收到的不一样", "说能治疗失眠，纯属虚假宣传",
        "图片上是实木，收到的是刨花板", "写的是一斤装，称了只有八两", "标题写的{brand}同款，材质差了十万八千里",
        "说防水，结果一碰水就进水了", "声称续航{n}小时，实际半天就没电",
    ],
    "not_delivered": [
        "下单{n}天了还没发货", "物流信息{n}天没更新了", "快递显示已签收，但我根本没拿到", "说好当天发货，拖了一个星期",
        "商家一直说在排单，就是不发", "包裹卡在中转站不动了", "预售说{n}天内发货，早就超时了",
        "催了好几次发货，客服只会让我耐心等待", "快递员说根本没有这个件", "付了钱订单一直是待发货",
        "地址没填错，包裹却被退回去了", "等了一个月还在路上", "运单号是假的，查不到任何记录", "物流停在揽收那一步就没动过",
        "说发顺丰，结果发了最慢的快递，到现在还没到", "买的{brand}{item}迟迟不发货", "东西被快递弄丢了，谁也不负责",
    ],
    "after_sales_refused": [
        "申请退货被商家直接拒绝了", "七天无理由退换也不给办", "客服一直不回消息", "说好的退款到现在也没退",
        "要求换货，商家让我自己出运费还不一定给换", "售后找各种理由推脱", "联系客服全是自动回复，没有人处理",
        "商家把我拉黑了，退款申请也不管", "保修期内坏了却不给修", "退回去的东西商家说没收到，钱也不退",
        "申请仅退款被驳回，说影响二次销售", "答应给补偿，后来就不认账了", "售后电话永远打不通", "客服态度恶劣，还骂人",
        "寄回去半个月了还没给退款", "平台介入前商家一直拖着不处理", "让我拍了十几个视频还是不给退",
    ],
    "reseller_recruitment": [
        "交了{money}元加盟费做代理，结果就是拉人头", "说发展三个下线就能回本", "上级要求先囤{n}箱货才给代理资格",
        "入会要交会员费，还要拉朋友进来", "宣传躺着赚钱，其实是靠招人赚钱", "让我天天在朋友圈发广告招代理",
        "交了押金说是创业项目，货根本卖不出去", "层层代理，越往下越亏", "团队长让我借钱升级成总代",
        "说是微商创业，其实是传销模式", "招代理时承诺月入过万，交了钱就没人管了", "每个月必须完成拿货任务，不然取消资格",
        "拉一个人进来给提成，下线再拉人还有分成", "交了{money}元培训费，教的全是怎么招人",
    ],
    "other": [
        "发票一直不给开", "说好的赠品没寄", "优惠券结账时用不了", "价保申请不了", "送的积分少算了", "快递外包装有点脏",
        "少发了一个小配件", "刚买完就降价了，差价不给补", "下单后想改地址改不了", "店铺满减活动算错了", "会员折扣没生效",
        "说明书全是外文看不懂", "包装盒压扁了，东西倒没事", "开票抬头写错了", "没有附送说明书",
    ],
}
DETAILS = {
    "counterfeit": ["要求退一赔三", "已经向平台举报售假", "要求假一赔十", "请平台查一下这家是不是一直卖假"],
    "quality_defect": ["要求换个新的", "照片已经拍好了", "这种质量也敢卖", "才用了几次"],
    "not_as_described": ["跟宣传的完全两回事", "详情页截图我都留着", "这是欺骗消费者", "和主播说的不一样"],
    "not_delivered": ["急着用的", "订单号发给客服了也没用", "到底什么时候发", "已经等不起了"],
    "after_sales_refused": ["请平台介入处理", "聊天记录都截图了", "这样的售后太差了", "问题到现在都没解决"],
    "reseller_recruitment": ["现在钱要不回来", "身边好几个朋友都被拉进去了", "希望有关部门查一查", "后悔交了这笔钱"],
    "other": ["不是大问题", "希望改进一下", "麻烦处理一下"],
}
OPENERS = ["", "", "", "我要投诉，", "真的无语，", "第一次在这家买，", "{item}到了，", "上周买的{item}，", "给家里人买的{item}，",
           "双十一下的单，", "直播间下单的，", "订单{order}，", "买了{n}件，", "老顾客了，"]
CLOSERS = ["", "", "", "太失望了", "希望平台管一管", "大家别上当", "要求给个说法", "已经截图留证", "请尽快处理", "差评",
           "再也不会买了", "要求退款"]
BORROWED = {"after_sales_refused": ("quality_defect", "not_as_described")}  # the problem that was refused


def _fill(rng: np.random.Generator, template: str) -> str:
    return template.format(item=ITEMS[rng.integers(len(ITEMS))], brand=BRANDS[rng.integers(len(BRANDS))],
                           n=int(rng.integers(2, 31)), money=int(rng.choice([980, 1980, 2680, 3980, 6800, 9800])),
                           order=int(rng.integers(10**9, 10**10)))


def compose(rng: np.random.Generator, category: str) -> str:
    """One complaint of ``category`` from the grammar."""
    statements = STATEMENTS[category]
    parts = [_fill(rng, OPENERS[rng.integers(len(OPENERS))])]
    if category in BORROWED and rng.random() < 0.35:
        borrowed = STATEMENTS[BORROWED[category][rng.integers(len(BORROWED[category]))]]
        parts.append(_fill(rng, borrowed[rng.integers(len(borrowed))]) + "，")
    picks = rng.choice(len(statements), size=1 + int(rng.random() < 0.35), replace=False)
    parts.append("，".join(_fill(rng, statements[i]) for i in picks))
    detail = DETAILS[category][rng.integers(len(DETAILS[category]))]
    if detail and rng.random() < 0.4:
        parts.append("，" + detail)
    closer = CLOSERS[rng.integers(len(CLOSERS))]
    parts.append(("。" + closer) if closer else "")
    return "".join(parts).replace("，，", "，").strip("，")
