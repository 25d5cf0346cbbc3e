"""Hand-written fragments for synthetic listings, reviews and complaints.

Genuine text varies the way people write: fragments are combined, shortened, padded with fillers,
punctuated differently, mixed with English and digits, and sometimes written in traditional script.
Farm text is templated praise with small mutations, so that near-duplicates exist across accounts.
"""

from __future__ import annotations

import functools

import numpy as np

from trust.synth.complaint_grammar import compose

PRODUCTS = {
    "美妆护肤": ["精华液", "面霜", "眼霜", "粉底液", "口红", "爽肤水", "防晒霜", "面膜"],
    "箱包": ["单肩包", "双肩包", "手提包", "钱包", "斜挎包", "托特包"],
    "手表": ["机械表", "石英表", "运动手表", "情侣表", "钢带手表"],
    "女装": ["连衣裙", "卫衣", "牛仔裤", "针织衫", "羽绒服", "半身裙", "运动鞋"],
    "母婴": ["婴儿奶粉", "纸尿裤", "婴儿湿巾", "儿童餐具", "宝宝辅食"],
    "保健品": ["维生素C", "鱼油", "钙片", "益生菌", "胶原蛋白", "蛋白粉"],
    "数码": ["蓝牙耳机", "充电宝", "数据线", "手机壳", "平板电脑", "智能手表"],
    "食品": ["坚果礼盒", "牛肉干", "蜂蜜", "红枣", "茶叶"],
    "家居": ["四件套", "收纳盒", "保温杯", "香薰", "抱枕"],
}
PRICE_RANGE = {  # typical price of an unbranded product, CNY
    "美妆护肤": (39, 299), "箱包": (59, 399), "手表": (99, 699), "女装": (49, 399), "母婴": (39, 299),
    "保健品": (49, 299), "数码": (19, 499), "食品": (19, 199), "家居": (19, 299),
}
HONEST_TITLE_TAGS = ["新款", "2026新款", "包邮", "现货", "热卖", "官方旗舰", "官方授权", "正品保障", "顺丰发货", "七天无理由", "", "", ""]
COUNTERFEIT_TAGS = ["高仿", "A货", "原单", "尾单", "1:1", "复刻", "精仿", "顶级复刻", "莆田", "专柜验货", "支持验货",
                    "原厂品质", "外贸原单", "一比一", "超A"]
COUNTERFEIT_EVASIONS = ["高 仿", "g仿", "gao仿", "A 货", "原.单", "1比1", "复*刻", "fu刻", "精-仿", "专柜品质"]
CLAIMS = ["三天美白", "七天见效", "100%有效", "纯天然无副作用", "国家级配方", "全网最低", "祛斑不反弹", "根治痘痘",
          "降血糖", "包治百病", "第一品牌", "最好用的"]
# Shifted vocabulary (SynthConfig(vocabulary="shifted")): what evaluation uses to test generalisation. Slang absent
# from data/lexicon (new coinages, and known terms written in ways the lexicon does not list), claims in new words,
# brands missing from data/brands.csv, complaints phrased differently. Never used to train the shipped models.
SHIFTED_COUNTERFEIT_TAGS = ["纯原", "过验版", "同厂同料", "镜面级", "顶配版", "大牌平替", "代工厂尾货", "gf版", "fu刻",
                            "ｇａｏ仿", "高.仿", "複刻", "精 仿", "原 单", "一 比 一", "Ａ货", "专柜同步", "无差别版", "公司级",
                            "莆 田 货"]
SHIFTED_CLAIMS = ["一周淡斑", "彻底告别痘痘", "医生都在用", "治失眠", "28天逆龄", "吃了不长胖", "孕妇可用无任何风险",
                  "三甲医院推荐", "独家专利配方", "瘦身20斤", "降三高", "抗衰老效果立竿见影"]
SHIFTED_BRANDS = [  # brand, name_zh, category, reference price (not in data/brands.csv)
    ("Moncler", "盟可睐", "女装", 9000), ("Rimowa", "日默瓦", "箱包", 6000), ("Tudor", "帝舵", "手表", 25000),
    ("Sulwhasoo", "雪花秀", "美妆护肤", 900), ("Bose", "博士", "数码", 2000), ("Hermes", "爱马仕", "箱包", 60000),
    ("Cartier", "卡地亚", "手表", 40000), ("Dior", "迪奥", "美妆护肤", 800), ("Sony", "索尼", "数码", 1500),
    ("Balenciaga", "巴黎世家", "女装", 6000), ("Blackmores", "澳佳宝", "保健品", 200), ("Aptamil", "爱他美", "母婴", 350),
]
SHIFTED_DESCRIPTIONS = {  # description wording in shifted mode, per listing kind
    "generic": ["{product}，{category}好物，收到有问题随时找客服", "{category}｜{product}，实拍图，现货速发", "日常款{product}，性价比之选"],
    "counterfeit": ["细节对比图私聊，{name}{product}，{tag}", "{tag}，{name}{product}，懂的来", "工厂直发{name}{product}，{tag}，数量有限",
                    "{name}{product}，{tag}，专柜级做工，假一赔十"],
    "false_claim": ["{claim0}！{product}，{claim1}", "{product}：{claim0}，{claim1}，已有上万人验证", "明星同款{product}，{claim0}"],
}
ACCESSORY_TEMPLATES = ["适用于{brand}的{item}", "{item} 兼容{brand}", "{brand}通用{item}"]
ACCESSORIES = ["手机壳", "钢化膜", "充电线", "表带", "收纳袋", "防尘袋"]

POSITIVE = [
    "质量挺好的", "做工很细致", "和图片一样", "颜色很正", "物流很快", "包装很严实", "客服态度不错", "性价比很高",
    "用了一周感觉还可以", "尺码标准", "面料舒服", "味道很淡", "上脸不油腻", "宝宝很喜欢", "电池很耐用",
    "音质比想象的好", "第二次回购了", "朋友推荐来的没失望", "发货速度快", "细节处理得很好", "比实体店便宜",
    "孩子吃了没问题", "效果慢慢能看到", "穿上很显瘦", "fit刚刚好", "quality不错", "跟描述一致",
]
NEUTRAL = [
    "一般般吧", "还行，没有特别惊艳", "质量中规中矩", "物流有点慢", "颜色和图片有点色差", "包装简单了点",
    "价格偏贵", "尺码偏大一码", "用着还可以，再观察", "等了好几天才到",
]
NEGATIVE = [
    "质量很差", "用了两天就坏了", "和描述完全不一样", "感觉不是正品", "客服不理人", "退货很麻烦", "有异味",
    "开线了", "洗一次就掉色", "上脸过敏", "根本没效果", "包装破损", "发错货了", "电池一天就没电",
]
OPENERS = ["", "", "", "收到了，", "第一次买，", "这次", "帮朋友买的，", "双十一囤的，", "说实话，", "给老公买的，"]
CLOSERS_POSITIVE = ["", "", "", "推荐", "会回购", "还会再来", "五星", "给个好评", "满意"]
CLOSERS_NEUTRAL = ["", "", "一般", "凑合", "再看看"]
CLOSERS_NEGATIVE = ["", "", "不推荐", "差评", "不会再买了", "失望"]
FILLERS = ["", "", "真的", "确实", "挺", "还算", "超级", "蛮"]
PUNCT = ["，", "。", "！", " ", "~", "，", "、"]

FARM_TEMPLATES = [
    "质量非常好，物流很快，卖家服务态度好，五星好评！",
    "宝贝收到了，和描述的一模一样，非常满意，好评！",
    "东西很好，包装精美，下次还来买，强烈推荐！",
    "正品无疑，做工精细，性价比超高，好评好评！",
    "非常棒的一次购物体验，客服很耐心，推荐购买！",
    "很好用，效果明显，已经推荐给朋友了，五星！",
]
FARM_MUTATIONS = ["", "", "真的", "超级", "！！", "~", "亲们放心买", "赞", "👍"]
DIVERSION = ["加V{n}领返现", "好评返现5元加微信{n}", "更多款式加QQ{n}", "私聊vx:{n}"]

SHIFTED_COMPLAINTS = {
    "counterfeit": ["拿去专柜验了说是仿的", "防伪码查不到，八成是冒牌货", "跟我在官网买的完全两样，假冒伪劣", "盗版货还敢标正品",
                    "鉴定机构说是假冒的"],
    "quality_defect": ["拉链第一次用就崩了", "屏幕有坏点，做工粗糙", "穿了一次就脱胶了", "孩子用了起疹子，质量不合格",
                       "漏液，东西有质量问题"],
    "not_as_described": ["图片是真皮，到手是人造革，货不对板", "宣传能祛痘，用完更严重，纯属忽悠", "标的是500毫升实际只有300",
                         "详情页写的进口，包装全是国产，虚假宣传"],
    "not_delivered": ["付款半个月了物流信息都没有", "一直显示待发货，商家装死", "快递说包裹丢了商家也不管", "承诺次日达，拖了一周还没到"],
    "after_sales_refused": ["七天无理由都不给退", "找客服要退款一直踢皮球", "售后电话打不通，退货申请被驳回", "商家拒绝换货还骂人"],
    "reseller_recruitment": ["让我交加盟费做区域代理，要发展下线才有提成", "说拉满十个人就返本，其实是传销",
                             "上线逼着囤货升级，不然拿不到分红"],
    "other": ["赠品少发了一个", "开不了发票", "包装盒有点压痕"],
}


# Held-out complaint wording, written in one sitting (2026-11-22) after the lexicon was frozen and committed before any
# model saw it: the clean test of whether the complaint classifier generalises. Do not add its words to data/ (the
# shifted pool above served as a development set and the lexicon was extended after it had been written).
HELDOUT_COMPLAINTS = {
    "counterfeit": ["和朋友在免税店买的一对比，字体和做工都不一样", "扫了瓶身上的二维码，显示查询不到该产品",
                    "品牌方客服说这个批次号根本不存在", "香味刺鼻，跟我用了好几年的那瓶完全不是一个东西",
                    "吊牌上的商标印得模模糊糊，一看就是冒的", "送去得物验，结果没通过", "序列号在官网查不到，怀疑是翻新机",
                    "标着原装进口，其实是小作坊灌装的"],
    "quality_defect": ["用了不到一周按键就失灵了", "鞋底走了两天就开胶", "洗一次缩水两个码", "收到就发现瓶子裂了，洗发水流了一箱子",
                       "插上电源就冒烟，吓死人", "水果一半都是烂的，还有虫眼", "线头到处都是，扣子一碰就掉",
                       "牛奶打开是结块的，喝了肚子疼"],
    "not_as_described": ["页面上写的纯棉，实际摸着全是化纤", "主图是大号的，寄来的是迷你装", "说好的赠送两年保修，收到的保修卡只写一年",
                         "颜色跟照片差太多，图片明显调过色", "直播间说能瘦十斤，吃了一个月一斤没掉", "写着全新未拆封，到手盒子是拆过的",
                         "标称容量64G，电脑上显示只有32G", "号称有机种植，包装上连认证标志都没有"],
    "not_delivered": ["拍下五天了，订单状态还是已付款", "快递停在中转站一个星期不动", "物流显示已送达，问了门卫和快递柜都没有",
                      "等了快一个月，东西还在路上", "预售说月底发，现在下个月中了还没动静", "卖家说缺货发不了，又不主动退款",
                      "单号是假的，查不到任何记录", "说是顺丰包邮，等了十天连揽件都没有"],
    "after_sales_refused": ["申请退货后商家一直不处理，超时了就自动关闭", "客服只会发表情，问什么都不回答",
                            "要退款就让我自己出运费还要扣手续费", "说好的保修，寄回去维修又说人为损坏不管",
                            "给差评就威胁我，说不删评就不退钱", "退回去的货商家签收了，钱到现在还没退",
                            "换货申请被拒了三次，理由都是不符合条件", "平台介入前商家答应退款，后面又反悔了"],
    "reseller_recruitment": ["朋友圈拉我进群，说买够两万的货就能当总代", "让我先交五千块押金拿货，再去找人一起做",
                             "说只要带三个人进来就能回本，越往上分得越多", "所谓的创业项目就是不停地让我们往里投钱",
                             "每个月有进货任务，完不成就降级，货都压在家里", "上面的老大天天在群里晒收入，让大家拉亲戚朋友",
                             "交了会员费拿到的只有一堆卖不出去的面膜", "入了他们的团队才知道主要赚的是新人的钱"],
    "other": ["收货地址填错了，想改一下联系不上商家", "说好的满减没有给我算上", "积分一直没到账", "发货单上的价格和我付的不一样",
              "想开个专票，商家说只能开普票", "包裹外面太脏了，箱子湿透了", "小票没放，送礼不方便",
              "活动价买完第二天就降价了，问能不能补差价"],
}


# A second held-out complaint wording, 20 sentences a category, written in one sitting on 2026-11-22 (the session after
# HELDOUT_COMPLAINTS had been looked at twice) and committed before any change to the grammar, the lexicon or the
# model: the test for the next round of complaint work. It is evaluated once, after that work, and reported whatever
# it shows. Do not copy its sentences or words into the grammar or data/.
HELDOUT2_COMPLAINTS = {
    "counterfeit": [
        "收到的香水喷出来一股酒精味，跟专柜试的完全不同，这绝对不是真货", "拿到附近的品牌店让店员看了，人家说这款根本不是他们家的",
        "包装盒上的条形码扫出来是另一个商品", "说是海外直邮正品，结果鞋盒里的合格证是国内小厂的", "耳机连上手机弹窗显示的型号不对，是山寨的",
        "在品牌小程序里验证失败，提示防伪信息无效", "表的机芯一打开就露馅了，根本不是瑞士机芯", "皮料闻着一股塑料味，五金也掉色，不可能是正品包",
        "买了两盒，批号一模一样生产日期却不同，明显造假", "同一款在旗舰店卖一千多，这里两百，果然是冒牌的",
        "拿去检测所检验，报告写着非品牌原厂产品", "口红膏体颜色和官网色号对不上，外壳的字也是歪的", "客服偷偷跟我说这是工厂货，其实就是仿的",
        "充电器上印的认证标志是假的，3C编号查无此号", "酒瓶的封口有二次封装痕迹，喝着也不对，是假酒",
        "奶粉罐底的溯源码扫不出信息，不敢给孩子喝，怀疑是假奶粉", "鞋垫下面的标是贴上去的，鉴定师说是仿品",
        "明明写着授权经销，品牌官方说从没授权过这家", "开机logo都不对，这手机是组装的山寨机", "衣服领标的字体和正品不一样，洗标上连成分都写错了",
    ],
    "quality_defect": [
        "椅子坐了三天腿就断了一根", "保温杯装热水两个小时就凉了，根本不保温", "空调装上以后噪音大得睡不着觉", "衬衫第一次下水就褪色了，盆里全是蓝水",
        "面包还没到保质期就长毛了", "行李箱轮子拖了一次就掉了", "插座用着用着就烧黑了，差点着火", "眼霜抹上去一颗颗的搓泥，还刺痛",
        "手机壳边缘的毛刺把手划破了", "电饭煲煮饭底部糊成一层，还漏电麻手", "玩具的小零件一拽就下来，小孩会吞进去的，太危险了",
        "羽绒服一直往外钻毛，穿一天满身都是", "鼠标用了半个月就开始双击", "茶叶泡出来一股霉味，还有碎渣", "打开罐头发现胀罐了，里面都变质了",
        "键盘有好几个键按下去弹不起来", "雨伞撑开第一次骨架就折了", "床垫睡了一个月中间就塌下去了", "手表走时不准，一天慢十几分钟",
        "锅的涂层用了几次就剥落了，掉到菜里",
    ],
    "not_as_described": [
        "视频里演示的是不锈钢的，寄来的是塑料的", "说是一箱24瓶，打开只有12瓶", "主播说这个面膜是敏感肌专用，成分表里却有酒精和香精",
        "详情里的尺寸是两米，量了才一米五", "号称能降血糖的茶，喝了两个月血糖一点没变", "广告上说是五星级酒店同款，收到的床单薄得透光",
        "说的是新疆长绒棉，洗标写的产地和成分都不对", "页面写支持快充，实际充满要五个小时", "买的是黑色，收到的是深灰色，跟图片不一样",
        "宣传无糖，配料表第二位就是白砂糖", "商品介绍说带遥控器，盒子里根本没有", "说是今年的新茶，包装上日期是前年的",
        "图片上的沙发很大很软，实物又小又硬", "标题写的骨瓷，拿到手就是普通陶瓷", "宣传说一瓶顶三瓶，稀得跟水一样，用两次就没了",
        "宣传的是钢化玻璃膜，到手就是一张软塑料膜", "页面标注的重量500克，实际称了只有380克", "号称纯天然无防腐剂，保质期却有两年",
        "模特图是长款，我收到的是短款", "宣称能祛除甲醛，放了一个月检测数值一点没降",
    ],
    "not_delivered": [
        "双十一下的单，现在快十二月了还没收到", "订单一直显示商家备货中，一个多礼拜了", "物流信息停在已出库五天没变化",
        "快递柜取件码一直没发给我，东西不知道在哪", "商家发了个空单号，物流根本没有揽收记录", "说48小时内发货，到现在四天了还没动",
        "东西寄到别的城市去了，快递说要再转回来，不知道要等多久", "联系快递说派件员请假了，包裹一直压在网点",
        "下单时说有现货，付款后说要等工厂生产", "包裹显示被退回发件地，我从来没拒收过", "急着用的，等了一周都没到，白买了",
        "显示在派送，一整天都没人送，晚上变成了滞留件", "客服说已经补发了，可是补发的单号也查不到", "拼团成功十天了，一直没有发货通知",
        "快递被放在小区门口，等我去找的时候已经没了", "海外仓发货，说两周到，一个半月了还在清关", "同一天下单的朋友早收到了，我的还显示未发货",
        "催了五次发货，每次都说明天发", "物流轨迹显示签收人不是我，也没放代收点", "生鲜订单拖了三天才发，路上又走了四天还没到",
    ],
    "after_sales_refused": [
        "衣服不合适想退，商家说特价商品不退不换", "退货寄回去一个月了，商家说没收到，拒绝退款", "东西有问题找客服，客服让我找厂家，厂家又让我找商家",
        "保修期内坏了，去修还要收两百块检测费", "退款申请提交后商家一直拖，拖到自动确认收货", "客服态度恶劣，说爱买不买，不给处理",
        "说好坏了包换，真坏了就再也联系不上了", "我拆了包装就说影响二次销售不给退", "平台判了退款，商家到现在还不执行",
        "退货地址给的是一个不存在的地方，包裹被退回来了", "只同意退一半的钱，剩下的说是折旧费", "换货寄回来的还是原来那件，问题根本没解决",
        "第三天申请七天无理由，商家说拆封了不算", "客服机器人一直在绕圈，转人工永远在排队", "商家让我先给五星好评才肯处理售后",
        "维修寄回去两个月了，没修好也不退", "退款被驳回三次，每次理由都不一样", "说要质检报告才能退，让我自己花钱去检测",
        "申请换货，商家不同意，只肯给个五块钱的优惠券打发我", "投诉到平台后商家把我拉黑了，售后一直不处理",
    ],
    "reseller_recruitment": [
        "微商上线说进货满三万就能拿最低价，还要我往下招代理", "群里天天讲躺赚，只要拉人进来就有奖励", "交了九千八的入门费，说是终身代理资格",
        "做了三级分销，赚的全是下线的钱，货根本卖不出去", "说是共享经济平台，先交钱买股份，拉人越多返得越多",
        "亲戚介绍进来的，要先囤十箱货才能当经销商", "他们的会议上一直洗脑，说不发展团队就是没格局", "招募宝妈做兼职，先交三千八会费才给培训",
        "上级说我的级别升不上去是因为拉的人太少", "推荐一个新人奖励五百，自己卖货几乎不赚钱", "让我刷信用卡进货，说下面的人会帮我消化",
        "什么品牌合伙人，就是交钱拉人头的把戏", "退出的时候才发现押金不退，货也不回收", "层层代理加价，到我这一层根本卖不出去，上面的还一直逼单",
        "说什么团队裂变，本质就是让新人交钱", "拿我的名义开了好几个下级账号，要我交钱激活", "每周都要完成拉新指标，否则扣分红",
        "加了个创业导师，教我怎么在朋友圈骗熟人交钱加盟", "他们说这不是传销是新零售，可赚钱全靠发展会员",
        "被拉进财富群，要买998的礼包才能成为会员，再推荐别人返佣金",
    ],
    "other": [
        "快递员态度很差，把东西扔在门口就走", "发票抬头开错了，让重开一直说要等", "优惠券领了用不了，结算时显示不符合条件",
        "下单后才发现多收了我一份运费", "包装太简陋了，就一个塑料袋，送人拿不出手", "客服回复太慢，问个尺码等了一天",
        "会员积分兑换的东西一直显示兑换失败", "商品页面的说明书是全英文的，看不懂", "下单时手滑买了两件，想取消一件没找到入口",
        "快递包装上把我的全名和手机号都印出来了，担心隐私泄露", "商家打电话推销别的产品，一天打好几次，很烦", "付款时页面卡住，被扣了两次钱",
        "收据上的店名和网店名字不一样", "送货上门要另收五十块上楼费", "包裹里多了一张让我加好友的小卡片，有点反感", "商品评价被莫名其妙删除了",
        "拼单规则看不懂，感觉被套路了", "快递盒上的地址写得乱七八糟，差点送错", "想咨询一下能不能刻字，一直没人理", "商家把我的订单信息发到了群里",
    ],
}

# A third held-out complaint wording, 20 sentences a category, written in one sitting on 2026-12-01 and committed before
# any change to the grammar, the lexicon, the model or its training data in that session: heldout2 had then been
# evaluated once and is a development set from here on. Evaluated once, after the session's complaint work, and
# reported whatever it shows. Do not copy its sentences or words into the grammar or data/.
HELDOUT3_COMPLAINTS = {
    "counterfeit": [
        "包装上的镭射防伪贴一刮就掉，下面是空白的，假货无疑", "和我之前在官网买的对比，这个缝线粗糙很多，logo位置也偏了",
        "专柜的柜姐看了一眼就说这是假的", "蓝牙音箱上的品牌名拼错了一个字母", "电池标的是原厂，拆开里面是杂牌电芯",
        "酒的防伪瓶盖拧开是空转的，和正品不一样，喝着也冲", "护肤品备案编号一查，登记的是别的产品",
        "球鞋送去鉴别平台，结果显示为假", "所谓的海外代购，发来的购物小票是P过的", "手机激活时提示设备序列号与型号不符",
        "卖家说是品牌尾货，其实就是外面小作坊做的仿货", "墨盒装上打印机直接提示非原装耗材",
        "眼镜框上刻的品牌字母歪歪扭扭，做工和正品差太远", "和闺蜜在商场买的同款放一起，颜色质感都不一样",
        "药盒上的批准文号在药监局网站上查不到", "说是原瓶进口红酒，背标没有中文标签，也拿不出报关单",
        "名牌围巾摸起来一点都不像羊绒，洗标上的字是乱码", "显卡被刷了BIOS冒充高型号，跑分差了一大截",
        "钱包里的编码和品牌对不上，专柜不给保养，说不是他们家的货", "奶粉是用正品空罐回收灌装的，粉的颜色都发黄",
    ],
    "quality_defect": [
        "刚买的电动牙刷充一次电只能用两天", "裤子穿了一次裤裆就开线了", "冰箱不制冷，冷藏室跟常温一样",
        "瓷碗放微波炉热了一下就裂开了", "台灯开关接触不良，一闪一闪的", "拖鞋穿上走两步鞋底就断了",
        "充电宝用着用着发烫鼓包，吓得我赶紧扔了", "袜子洗一次就起球，还破了洞", "耳机左耳没声音，右耳杂音很大",
        "香肠打开一股酸臭味，明显坏了", "窗帘挂上去三天挂钩全断了", "自行车骑了不到一百公里链条就断了",
        "洗衣机一甩干整台都在跳，声音像拖拉机", "书包拉链拉两下就坏了", "奶瓶上的刻度一洗就掉",
        "吹风机用五分钟就自动断电，还有股焦味", "坚果一大半是空壳，还有哈喇味", "门锁装上以后指纹老是识别不了",
        "墙纸贴上一周就起泡翘边", "玻璃杯倒进开水直接炸了",
    ],
    "not_as_described": [
        "页面写的是真皮，拿打火机一烧就是人造革", "宣传是4K屏，实际分辨率只有1080P", "说一套五件，收到只有三件",
        "卖家秀是实木桌子，买家秀是刨花板贴皮", "主播说吃了能长高，孩子吃了半年一点变化都没有",
        "写着送货上门包安装，结果只送到楼下，安装还要另外付钱", "描述说可以机洗，洗完变形了，一看标签写着只能干洗",
        "标题写着适配iPhone 15，根本装不上", "号称主动降噪，坐地铁一点都挡不住", "页面说一级能效，铭牌上印的是三级",
        "详情页写的新鲜日期，到手离过期只剩一个月", "宣传说防水，下小雨就进水了", "图片上是一整只鸡，收到的是切好的鸡块，还少了一半",
        "商品标着纯银，拿去首饰店一测是镀银的", "说是加厚款，比我家原来那床还薄", "宣传充一次电用三十天，实际三天就没电了",
        "说是手工现做的，包装上却印着食品厂的流水线批次", "说是双人份，量只够一个人吃", "直播间说这款精华能淡斑，用完两瓶斑一点没淡",
        "商品图是带抽屉的款式，收到的床头柜没有抽屉",
    ],
    "not_delivered": [
        "付款半个月了，物流一条信息都没有", "商家说已经发出，快递公司说根本没收到这个件", "包裹在转运中心显示异常，已经十天没更新",
        "约好周末送到，周一了还没见到人", "订的年货，过完年才到，还不如不要", "店铺说仓库爆仓，让我再等等，已经等了十五天",
        "快递员说地址派送不到，让我自己去三十公里外的网点拿", "明明选的次日达，第四天才发货", "同城配送说两小时达，等了一下午都没来",
        "取件码收到了，去驿站却说没有这个包裹", "物流显示已签收，我一直在家，根本没人敲门", "买的生日礼物，生日都过了东西还没到",
        "卖家一会儿说缺货一会儿说在调货，就是不发", "跨境商品卡在海关一个月，商家也不给个说法", "快递半路丢件了，商家和快递互相推",
        "下单时页面承诺三天到，现在第九天还在路上", "大件家具说一周送货，过去一个月了还在排期", "物流单号一直显示待揽收",
        "包裹被送到隔壁小区的快递柜，我根本拿不到", "订单显示已发货，单号查出来收件人是另一个城市的",
    ],
    "after_sales_refused": [
        "收到就是破的，拍照给客服，客服说签收了就不管", "退货申请被商家拒绝了，一个理由都没给",
        "说退款要先把赠品寄回去，赠品已经用了，就不给退", "维修点说这个问题不在保修范围，明明是质量问题",
        "商家让我先寄回去再说，寄回去以后就再也不回消息了", "申请仅退款，商家非要我退货，还让我出上门取件费",
        "客服说今天处理，三天了没人理", "质量问题要求换新，商家只肯补偿十块钱", "找了三次客服，每次换一个人，从头说一遍还是不给解决",
        "退款到账少了一百，问了说扣了包装费", "平台介入后商家说联系不上我，其实我一直在线", "说好的上门退换，打电话过去又说上门要收费",
        "退回去的快递被商家拒收，又原路退回来了", "衣服吊牌剪了一个角，商家就说不能退", "售后非要开箱视频，没录就不认",
        "买了延保，坏了去修说延保不包含这个部件", "商家说退款要等他们财务月底统一处理", "退货单号填了一周，状态一直是待商家确认",
        "要我出检测报告才肯售后，问他们去哪个机构检测也不说", "客服直接说不满意可以去投诉，反正不退",
    ],
    "reseller_recruitment": [
        "所谓的直销团队，进去先要买两万块的产品套餐", "说当上钻石代理月入十万，条件是带二十个下级",
        "被朋友拉进一个养生项目，买了产品还得再拉人才能回本", "平台说充值就能当店主，推荐别人充值还能拿提成",
        "上线让我把货压给下线，说这样业绩才能升级", "加盟费三万九，承诺三个月回本，结果一分没回",
        "开会时让每个人写下五十个亲友的名单去邀约", "说什么零售加推荐的双轨制，不拉人根本赚不到钱",
        "要先交保证金，再按人头发奖金，这就是拉人头", "让我们在朋友圈发暴富截图，吸引别人来加盟", "所谓分红全靠新加入的人交的钱在发",
        "代理等级分成五级，每升一级都要补货款", "线下课程免费听，听完就让报名交钱做合伙人",
        "说只要买一单就能开通分销权限，以后靠分享赚钱，其实就是拉人", "把我爸妈也拉进去买了一堆保健品，还要他们再介绍朋友",
        "团队长承诺包销，等我囤了货人就消失了", "推荐奖励分三代，下线的下线也给我提成，明显是传销模式",
        "每月业绩必须达标，不然取消代理资格，押金也没收", "以开网店的名义招人，交了入驻费才发现是让我继续招人",
        "群主说卖货是次要的，主要是建团队",
    ],
    "other": [
        "快递盒里塞满了小广告传单", "商品页面留的客服电话是空号", "买完东西一直收到商家的营销短信", "电子发票申请了半个月还是开不出来",
        "付款时优惠券没有自动抵扣，多付了二十块", "包装用的泡沫太多，拆完一地垃圾，一点都不环保", "想改送货时间，客服说系统改不了",
        "订单详情里的商品名称和实际买的对不上，公司报销不了", "店铺客服只在工作日上班，周末找不到人", "买了一次东西就被拉进各种群，退都退不完",
        "赠送的贺卡上把祝福语写错了字", "满赠活动的规则写得很模糊，不知道自己有没有资格", "包裹上贴着别人的快递单，幸好里面是我的东西",
        "卖家把我的聊天记录截图发到了朋友圈", "运费比别家贵了一倍", "说明书缺了好几页，不知道怎么组装", "页面上显示支持花呗，结算时却不能用",
        "收货后商家天天打电话问我满不满意", "下单时说送运费险，订单里却没有", "直播间抽奖说我中了，到现在也没人联系发奖品",
    ],
}


# The fixed complaint sentences of each evaluation vocabulary (the standard vocabulary composes from the grammar).
COMPLAINT_SENTENCES = {"shifted": SHIFTED_COMPLAINTS, "heldout": HELDOUT_COMPLAINTS, "heldout2": HELDOUT2_COMPLAINTS,
                       "heldout3": HELDOUT3_COMPLAINTS}


@functools.cache
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert


def traditional(text: str) -> str:
    return _to_traditional()(text)


@functools.cache
def traditional_fragments(name: str) -> tuple[str, ...]:
    return tuple(traditional(fragment) for fragment in globals()[name])


def _pick(rng: np.random.Generator, items, size: int):
    return [items[i] for i in rng.integers(0, len(items), size)]


def genuine_reviews(rng: np.random.Generator, ratings: np.ndarray, traditional_share: float = 0.08) -> list[str]:
    """Varied review text whose sentiment follows the rating."""
    n = len(ratings)
    use_traditional = rng.random(n) < traditional_share
    parts_count = rng.integers(1, 4, n)
    openers = _pick(rng, OPENERS, n)
    closers = [
        (CLOSERS_POSITIVE if r >= 4 else CLOSERS_NEUTRAL if r == 3 else CLOSERS_NEGATIVE)[i]
        for r, i in zip(ratings, rng.integers(0, 5, n))
    ]
    fillers = _pick(rng, FILLERS, n)
    out = []
    pos_t, neu_t, neg_t = (traditional_fragments(x) for x in ("POSITIVE", "NEUTRAL", "NEGATIVE"))
    for i in range(n):
        rating = ratings[i]
        trad = use_traditional[i]
        if rating >= 4:
            pool = pos_t if trad else POSITIVE
        elif rating == 3:
            pool = neu_t if trad else NEUTRAL
        else:
            pool = neg_t if trad else NEGATIVE
        k = int(parts_count[i])
        chosen = [pool[j] for j in rng.choice(len(pool), size=min(k, len(pool)), replace=False)]
        if rating == 3 and rng.random() < 0.5:
            chosen.append((pos_t if trad else POSITIVE)[rng.integers(len(POSITIVE))])
        seps = _pick(rng, PUNCT, len(chosen))
        body = "".join(fragment + sep for fragment, sep in zip(chosen, seps))
        text = f"{openers[i]}{fillers[i]}{body}{closers[i]}".strip(" ，、")
        if rng.random() < 0.05:
            text = text + str(rng.integers(1, 30)) + "天了"
        out.append(traditional(text) if trad and rng.random() < 0.3 else text)
    return out


def farm_reviews(rng: np.random.Generator, n: int, ring_seed: int) -> list[str]:
    """Templated praise: a ring favours two templates and mutates them a little."""
    ring_rng = np.random.default_rng(ring_seed)
    favourites = ring_rng.choice(len(FARM_TEMPLATES), size=2, replace=False)
    out = []
    for _ in range(n):
        base = FARM_TEMPLATES[favourites[rng.integers(0, 2)]] if rng.random() < 0.85 else FARM_TEMPLATES[rng.integers(len(FARM_TEMPLATES))]
        roll = rng.random()
        mutation = FARM_MUTATIONS[rng.integers(len(FARM_MUTATIONS))]
        if roll < 0.4:
            text = base
        elif roll < 0.7:
            text = base.rstrip("！") + mutation
        elif roll < 0.85:
            text = mutation + base
        else:
            text = base.replace("非常", "特别").replace("很", "挺")
        if rng.random() < 0.06:
            text += DIVERSION[rng.integers(len(DIVERSION))].format(n=int(rng.integers(10_000_000, 99_999_999)))
        if rng.random() < 0.05:
            text = traditional(text)
        out.append(text)
    return out


def complaint_texts(rng: np.random.Generator, categories: list[str], vocabulary: str = "standard") -> list[str]:
    """Complaint texts: the standard (training) wording is composed from a grammar, many ways to say each thing; the
    shifted and held-out wording are fixed sentences nobody trained on."""
    out = []
    sentences = None if vocabulary == "standard" else COMPLAINT_SENTENCES[vocabulary]
    for category in categories:
        if sentences is None:
            text = compose(rng, category)
        else:
            pool = sentences[category]
            text = pool[rng.integers(len(pool))]
            if rng.random() < 0.4:
                text += "，" + pool[rng.integers(len(pool))]
        if rng.random() < 0.2:
            text += "，订单号" + str(rng.integers(10**9, 10**10))
        if rng.random() < 0.06:
            text = traditional(text)
        out.append(text)
    return out
