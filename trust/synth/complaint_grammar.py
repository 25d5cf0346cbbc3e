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

import re

import numpy as np

ITEMS = ["精华液", "面霜", "口红", "防晒霜", "面膜", "单肩包", "双肩包", "钱包", "机械表", "运动手表", "连衣裙", "卫衣",
         "牛仔裤", "羽绒服", "运动鞋", "婴儿奶粉", "纸尿裤", "鱼油", "钙片", "益生菌", "蓝牙耳机", "充电宝", "数据线",
         "平板电脑", "坚果礼盒", "牛肉干", "蜂蜜", "茶叶", "四件套", "保温杯", "洗发水", "电动牙刷", "吹风机", "手机"]
BRANDS = ["耐克", "阿迪达斯", "苹果", "兰蔻", "雅诗兰黛", "LV", "古驰", "香奈儿", "戴森", "华为", "迪奥", "Nike", "Coach",
          "欧莱雅", "飞利浦", "美的"]

STATEMENTS = {
    "counterfeit": [
        "{brand}的{item}收到一看就是假的", "和专柜买的{item}放一起对比，明显是假货", "拿去鉴定了，结论不是正品", "扫了防伪码，显示查无此产品", "标签做工粗糙，字都印错了，绝对是山寨货",
        "宣称{brand}正品，其实是仿冒的", "logo位置不对，走线跟正品差得远", "这个{item}就是高仿，卖家还说保真", "盒子上的编码和商品上的对不上", "送去官方售后检测，说不是他们家的产品",
        "味道和我以前用的正品完全不一样，肯定是假的", "序列号在官网上查不到", "外包装印刷模糊，一看就是冒牌的", "假一赔十都是骗人的，东西就是仿的", "官方客服确认这个批号根本不存在", "拿冒牌货冒充大牌卖",
        "卖假货还死不承认", "商家说是原单货，其实就是A货", "专柜柜姐一眼就看出是假的", "芯片读不出来，验不了真", "手感和正品差太多，假冒伪劣产品", "吊牌是手写补的，正品不可能这样",
        "{brand}官方说没有这个款式", "这双{brand}是莆田货，鞋标都是错的", "买到冒牌的{item}了，跟官网图对比细节全不对", "品牌方说这个店根本没有授权", "所谓的正品是假冒的，气味刺鼻",
        "fake货，完全不是{brand}的东西", "验货APP鉴定结果为假", "专柜说这个{item}不是他们出的", "卖的是仿货，却标着官方正品", "拿到手就知道是假货，重量都不对", "没有任何防伪标识，假得离谱",
        "用着和正品完全两个感觉，怀疑是假冒", "假的", "不是正品", "是假货吧", "卖山寨的，鉴定过了", "假货，别买", "和{brand}官方旗舰店买的对比一下就露馅了", "做工一看就是小作坊仿的",
        "防伪标签是贴上去的，一撕就掉", "扫码跳转的是个假网站",
        "追溯码查出来被扫过几千次，明显是回收码", "酒的口感像兑了水的，瓶盖封口也不对", "鉴定报告写着非品牌原装",
        "this is a counterfeit {item}, not the real {brand}", "the {brand} store says this serial number is fake",
        "got a knockoff, the logo and stitching are wrong", "authentication app says it is not genuine",
        "{item}的生产厂家在网上根本搜不到", "中文标签都没有，说是进口的，八成是假的", "拿家里之前买的正品对比，颜色、气味、质地全不一样", "有人在同一家买的，也鉴定出是假的", "卖的是贴牌货冒充{brand}",
        "看着像正品，用起来完全不是那回事，肯定是仿冒品", "宣传是原厂直供，其实是翻新加贴标", "网上查了这个型号，{brand}从来没出过", "防伪涂层一刮就掉，数字还查不到", "发票是假的，税务系统查不到",
        "这不是正版，是盗版", "味道冲，质地稀，跟正品差远了，假冒产品", "所谓的代购正品就是莆田鞋", "序列号被磨掉了，不敢相信是真的", "品牌售后拒绝保修，说不是正规渠道的真品",
    ],
    "quality_defect": [
        "the {item} stopped working after two days", "it broke the first time I used it", "the zipper came off and the seams split",
        "defective out of the box, it will not turn on", "螺丝孔位对不上，装好后摇摇晃晃", "用了没几天就有异响", "接口松动，一碰就断电",
        "{item}用了{n}天就坏了", "刚拆开就发现有裂缝", "开机就黑屏，根本用不了", "洗了一次就严重缩水", "做工很差，线头到处都是", "鞋底开胶了，穿了不到一周", "电池鼓包了，不敢再用",
        "{item}有股刺鼻的味道，闻着头疼", "涂了以后脸又红又痒，过敏了", "零件松动，一晃就响", "充电时烫得厉害，吓人", "吃出了异物，太恶心了", "收到的零食已经过期了", "水果烂了一半",
        "面料起球特别严重", "屏幕有划痕和亮点", "耳机一边没有声音", "杯子漏水，盖子拧不紧", "拉链卡住拉不动，质量太次", "用料很廉价，一掰就断", "奶粉结块还有怪味", "洗完掉色把别的衣服都染了",
        "按键失灵，按了没反应", "刚用{n}次就断了", "{item}质量太差劲了", "第一次用就出故障了", "穿了一天就破洞了", "一通电就冒烟", "收到就是坏的，打不开", "瓶子漏了一箱子",
        "有明显的瑕疵和污渍", "吃了拉肚子，东西不新鲜", "用了{n}天就开始掉漆", "声音有杂音，用不了多久就会坏", "洗一次就变形了", "螺丝都没拧紧，用着摇摇晃晃", "孩子用了皮肤发红，质量不合格",
        "质量差", "坏了", "质量有问题", "东西是坏的", "一用就坏", "全是质量问题", "线路接触不良", "质量不过关，有安全隐患", "收到时外壳已经碎了",
        "穿了两次鞋面就裂了", "充不进电，指示灯一直闪", "包的带子缝得不结实，背了一次就脱线", "食品里面有头发", "蜂蜜发酸，冒泡了", "电线的外皮破了，能看到铜丝", "镜片有气泡，看东西是花的",
        "{item}用了{n}天开始发烫，然后直接不亮了", "瓶口的泵头按不出东西", "吸尘器吸力特别小，用一会儿就过热停机", "冰箱不制冷", "装好了就漏水，接口处一直滴", "肉干里有硬物，差点把牙硌坏",
        "孩子的水杯一摔就裂了", "耳机充电仓合不上，磁吸不牢", "车载支架夹不住手机，开车时掉了好几次", "屏幕亮度不均匀，边上发黄", "油漆没刷匀，有好多气泡和流痕", "药盒里的胶囊都粘在一起了，受潮了",
    ],
    "not_as_described": [
        "not as described, the listing said {n} pieces", "the photos show a different colour from what arrived",
        "it says real leather on the page but this is plastic", "much smaller than the size in the description",
        "标题写的新款，收到的是旧款", "页面标注的产地和实物不符",
        "实物和详情页的图片差太多了", "颜色跟网页上完全不是一个色", "页面写的纯棉，实际是化纤", "尺码标的L，穿上像S", "说好的{n}毫升，量出来少了一大半", "宣传能美白祛斑，用了一个月一点变化都没有",
        "号称七天瘦十斤，完全是骗人的", "说是进口原装，结果是国产贴牌的", "描述写的全新，收到的明显是翻新机", "卖家秀和买家秀根本是两个东西", "直播间里讲的功效都是夸大的",
        "标注的配置和实际不一样，内存少了一半", "说是真丝，其实是涤纶", "广告说有机无添加，配料表一堆添加剂", "主播承诺的规格和收到的不一样", "说能治疗失眠，纯属虚假宣传", "图片上是实木，收到的是刨花板",
        "写的是一斤装，称了只有八两", "标题写的{brand}同款，材质差了十万八千里", "说防水，结果一碰水就进水了", "声称续航{n}小时，实际半天就没电", "收到的和下单时看的不一样",
        "详情写的大容量，其实很小", "标的是{n}片装，打开只有一半", "宣传抗衰老，完全没用", "说是当季新款，结果是去年的库存款", "款式和图片不符", "重量严重不足，缺斤少两", "号称纯手工，明明是机器做的",
        "页面写着送{n}件套，收到的是单件", "材质描述是假的，根本不是羊毛", "说好的功能一个都没有", "虚标参数，忽悠人", "描述不符", "货不对版", "跟图片不一样", "虚假宣传", "夸大功效",
        "和宣传的不符", "实物严重缩水", "页面上说的都做不到", "买的是A款，收到的是B款",
        "写的可以折叠，结果根本折不了", "宣传一次见效，用了一整瓶都没效果", "说含{n}%的精华成分，成分表排在最后", "参数表写的功率是实际的两倍", "说是纯银的，戴了两天就发黑", "说是原切牛排，其实是拼接肉",
        "广告里说通过了国家认证，包装上什么认证都没有", "介绍说能用{n}年，实际是一次性的", "效果图是滤镜修出来的，实物完全不是那个样子", "说是整张牛皮，其实是二层皮", "声称可以减肥，吃了一个月体重还涨了",
        "说是高清，画面糊得不行", "商品标注的产地和实际发货的产地不一样", "主播口口声声说是正装，拿到手是小样", "宣传可以水洗，洗标写着不可水洗",
    ],
    "not_delivered": [
        "my parcel never arrived and tracking has not updated", "ordered {n} days ago and it still has not shipped",
        "marked as delivered but I never received it", "the courier lost my package",
        "快递被送去了外地的网点", "物流显示派送失败，之后就没动静了",
        "下单{n}天了还没发货", "物流信息{n}天没更新了", "快递显示已签收，但我根本没拿到", "说好当天发货，拖了一个星期", "商家一直说在排单，就是不发", "包裹卡在中转站不动了",
        "预售说{n}天内发货，早就超时了", "催了好几次发货，客服只会让我耐心等待", "快递员说根本没有这个件", "付了钱订单一直是待发货", "地址没填错，包裹却被退回去了", "等了一个月还在路上",
        "运单号是假的，查不到任何记录", "物流停在揽收那一步就没动过", "说发顺丰，结果发了最慢的快递，到现在还没到", "买的{brand}{item}迟迟不发货", "东西被快递弄丢了，谁也不负责", "一直没收到货",
        "货到现在都没有发出来", "等了{n}天，连物流单号都没有", "快递停在派送中好几天了", "付款后卖家就失联了", "说缺货了但也不退钱也不发", "物流显示异常，包裹不知道去哪了", "超过承诺的发货时间好多天了",
        "被别人签收了，我没收到包裹", "寄了几天还在原地没动", "发货时间一拖再拖", "没发货", "还没到", "物流不动", "一直不发货", "没收到", "快递丢件了", "货呢？等了{n}天了",
        "一直在运输中",
        "说是次日达，到今天第{n}天了", "订单被莫名其妙取消了，东西也没发", "快递员说没有我的件，商家说发了", "驿站说没收到这个包裹，物流却显示已到站", "预约的送货时间过了，没人来",
        "拍了{n}件只到了一件，剩下的一直没发", "送货延误，婚礼都办完了东西才到", "揽收后就没有任何物流更新", "买的生日礼物，生日都过了还没到", "下单后商家一直不安排配送",
    ],
    "after_sales_refused": [
        "the seller refuses to refund me", "they rejected my return request without a reason",
        "warranty claim denied, they say it is my fault", "returned the {item} weeks ago and still no refund",
        "说好的价保申请了不认账", "让我先改好评才肯处理退款", "寄回去的{item}商家签收了却说没收到",
        "申请退货被商家直接拒绝了", "七天无理由退换也不给办", "客服一直不回消息", "说好的退款到现在也没退", "要求换货，商家让我自己出运费还不一定给换", "售后找各种理由推脱",
        "联系客服全是自动回复，没有人处理", "商家把我拉黑了，退款申请也不管", "保修期内坏了却不给修", "退回去的东西商家说没收到，钱也不退", "申请仅退款被驳回，说影响二次销售", "答应给补偿，后来就不认账了",
        "售后电话永远打不通", "客服态度恶劣，还骂人", "寄回去半个月了还没给退款", "平台介入前商家一直拖着不处理", "让我拍了十几个视频还是不给退", "退款申请提交{n}天了商家不处理", "卖家不同意退货",
        "找客服没人理", "商家拒绝承担责任", "说过了售后期不管了", "退货地址给的是假的，寄不回去", "客服说会处理，然后就没下文了", "换货寄回来的还是坏的，再申请就不理了", "不给退也不给换，只让我自己找厂家",
        "我要退款，商家一直拖", "售后把责任推给快递", "不给退款", "售后不管", "拒绝退货", "客服失联", "退款被拒", "售后太差，不给处理", "不给换也不给退", "投诉了几次都没人处理",
        "退货申请一直显示待商家处理", "客服说退款要等{n}个工作日，过了也没退", "同意退货了，但拒绝退运费", "找了几次售后，都说帮我反馈，然后没消息", "商家说超过了{n}天就不能申请售后",
        "售后说是人为损坏，拒绝保修", "申请售后提示商家已关闭售后通道", "说好的上门取件一直没人来，退货也退不了", "商家让我等他们研究一下，之后再也没回复", "投诉处理结果不满意，平台也不管",
        "售后承诺三天回电，等了一周",
    ],
    "reseller_recruitment": [
        "they want me to pay a fee to become a distributor and recruit others", "asked me to join their team and build a downline",
        "this is a pyramid scheme, you earn by recruiting people", "pushed me to buy stock to upgrade my agent level",
        "买过一次就天天有人打电话拉我做微商", "说拉满三个人就能回本",
        "交了{money}元加盟费做代理，结果就是拉人头", "说发展三个下线就能回本", "上级要求先囤{n}箱货才给代理资格", "入会要交会员费，还要拉朋友进来", "宣传躺着赚钱，其实是靠招人赚钱",
        "让我天天在朋友圈发广告招代理", "交了押金说是创业项目，货根本卖不出去", "层层代理，越往下越亏", "团队长让我借钱升级成总代", "说是微商创业，其实是传销模式", "招代理时承诺月入过万，交了钱就没人管了",
        "每个月必须完成拿货任务，不然取消资格", "拉一个人进来给提成，下线再拉人还有分成", "交了{money}元培训费，教的全是怎么招人", "拉人头的骗局，交钱当代理", "要先交{money}元才能拿货做分销",
        "下线越多返利越多，明显是传销", "说是团购团长，其实要拉人交钱", "交了{money}块钱的代理费，发现全是套路", "让我发展会员才能提现", "逼着我们买货冲业绩升级", "朋友拉我进群交钱做代理，根本卖不出去",
        "卖不掉的货不给退，只能继续拉新人", "一级一级往上返钱，靠拉人维持", "拉人头", "交钱做代理被骗了", "传销", "让我拉人进团队", "要交入会费才能卖货", "靠发展下线赚钱", "代理制度就是割韭菜",
        "说是加入就送产品，条件是要再介绍两个人", "一开始只说卖货，后来一直让我交钱升级", "收了{money}元的保证金，承诺的返利一直没有", "推荐码注册才能买，推荐的人越多拿的钱越多",
        "靠卖代理名额赚钱，不是靠卖产品", "交的入会费说好能退，现在说要再拉三个人才能退",
    ],
    "other": [
        "发票一直不给开", "说好的赠品没寄", "优惠券结账时用不了", "价保申请不了", "送的积分少算了", "快递外包装有点脏", "少发了一个小配件", "刚买完就降价了，差价不给补", "下单后想改地址改不了",
        "店铺满减活动算错了", "会员折扣没生效", "说明书全是外文看不懂", "包装盒压扁了，东西倒没事", "开票抬头写错了", "没有附送说明书", "电子发票开错了", "忘记放赠品了", "红包用不了",
        "物流包装太简陋了", "催开票没人回", "商品好的，就是包装有点破", "活动价没有按页面算", "快递送到驿站没送上门", "发货慢了一点点，不影响使用", "小票没给", "配送时间和约好的差了一会儿",
        "优惠没叠加上", "购物津贴没抵扣", "开发票", "赠品呢", "优惠没用上", "小问题，包装不太好", "希望补开发票", "积分问题", "催一下发票", "价格保护没给", "退差价的事没回复",
        "付款后优惠券没退回来", "开的发票金额不对", "发票寄来的是纸质的，我要的是电子的", "地址修改后系统没同步", "商品链接突然下架了，想回购找不到", "店铺名字换了，差点没认出来", "价格比线下贵了一点",
        "直播间抽奖中了，领奖流程太麻烦", "客服的语气有点冷淡", "分期付款的手续费没有提前说明", "快递没有打电话就放到了驿站", "账号被限制下单了，不知道为什么", "想加急发货，被告知不能加急",
        "包裹里没有装箱单",
        # service that insults, leaks, harasses or takes the payment off the platform: not an after-sales refusal
        "客服张口就骂人，还嫌我烦", "问了几句尺码，被客服阴阳怪气地嘲讽", "店主在聊天里辱骂我，说话特别难听", "客服态度恶劣，直接让我滚",
        "我的电话和住址被卖家泄露出去了", "买完{item}就有陌生号码打来推销，信息肯定是店里卖的", "快递单上我的全名和手机号全露着，没做隐私保护",
        "订单信息被泄露，有骗子冒充客服打电话给我", "卖家让我私下微信转账，说走平台要加钱", "店主发了个人收款码，让我别在平台付款",
        "客服让我线下交易，说可以便宜{n}块", "要我把钱打到私人银行卡上", "每天好几条营销短信，回复退订也照样发", "店铺一直给我打电话推销新品，拉黑了换号继续打",
        "卖家天天打电话让我改成好评", "给了差评以后商家一直骚扰我让我删评", "答应返现让我写五星好评", "转人工客服一直排队，机器人只会回复套话",
        "客服一整天都不回消息", "直播时主播对提问的观众冷嘲热讽", "不开发票还说要开就得加{n}个点的税", "开的发票是别家公司的",
        "the customer service agent was rude and swore at me", "my phone number and address were leaked after this order",
        "the seller asked me to pay by bank transfer outside the platform", "they keep sending me spam messages every day",
        "the shop keeps calling me to change my review", "cannot get an invoice from this seller",
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
# Neutral or favourable asides about other parts of the purchase, so that a word like 物流 or 客服 alone does not
# decide the category; each is left out of the categories it would contradict.
ASIDES = [("发货挺快，", {"not_delivered"}), ("快递两天就到了，", {"not_delivered"}), ("客服回复得也快，", {"after_sales_refused"}),
          ("外包装完好，", set()), ("在直播间看了很久才下单，", set()), ("价格不便宜，", set()),
          ("收到货第一时间拆开，", {"not_delivered"}), ("平时挺信任这家店的，", set()), ("物流没问题，", {"not_delivered"}),
          ("客服态度还行，", {"after_sales_refused"})]
# Everyday words buyers use interchangeably: each occurrence in a composed complaint is swapped for a random member of
# its group half of the time, so the model does not learn one word for "the seller" or "refund".
# (No word of a group is part of a longer word the statements use: 收到 is not swapped because of 拿到手, 朋友 because
# of 朋友圈.)
SYNONYMS = [["商家", "卖家", "店家", "老板"], ["东西", "宝贝"], ["根本", "完全", "压根"], ["一直", "始终", "老是"],
            ["说好的", "承诺的", "答应的"], ["图片", "照片", "主图"], ["毛病", "问题"], ["特别", "非常", "超级"],
            ["明显", "一看就"], ["退款", "退钱"], ["购买", "入手"]]
_SYNONYM = {word: group for group in SYNONYMS for word in group}
_SYNONYM_PATTERN = re.compile("|".join(sorted(_SYNONYM, key=len, reverse=True)))
BORROWED = {"after_sales_refused": ("quality_defect", "not_as_described")}  # the problem that was refused


def _fill(rng: np.random.Generator, template: str) -> str:
    return template.format(item=ITEMS[rng.integers(len(ITEMS))], brand=BRANDS[rng.integers(len(BRANDS))],
                           n=int(rng.integers(2, 31)), money=int(rng.choice([980, 1980, 2680, 3980, 6800, 9800])),
                           order=int(rng.integers(10**9, 10**10)))


def _vary(rng: np.random.Generator, text: str) -> str:
    def swap(match: re.Match) -> str:
        group = _SYNONYM[match.group(0)]
        return group[rng.integers(len(group))] if rng.random() < 0.5 else match.group(0)
    return _SYNONYM_PATTERN.sub(swap, text)


def compose(rng: np.random.Generator, category: str) -> str:
    """One complaint of ``category`` from the grammar."""
    statements = STATEMENTS[category]
    parts = [_fill(rng, OPENERS[rng.integers(len(OPENERS))])]
    if rng.random() < 0.25:
        aside, contradicts = ASIDES[rng.integers(len(ASIDES))]
        parts.append("" if category in contradicts else aside)
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
    return _vary(rng, "".join(parts).replace("，，", "，").strip("，"))
