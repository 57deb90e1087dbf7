// Word and character lists for MixedText: common words per language (most frequent first, roughly) and syllables
// from which MixedText synthesizes a long tail of rarer words.

namespace Tessera.Benchmarks;

internal static class WordLists
{
    public static readonly string[] English =
    [
        "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
        "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one",
        "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no", "she",
        "other", "its", "may", "these", "what", "them", "than", "some", "him", "time", "into", "only", "do", "could", "new",
        "about", "two", "first", "then", "also", "any", "after", "like", "our", "over", "man", "me", "even", "most", "made",
        "such", "many", "must", "before", "through", "years", "where", "much", "your", "well", "down", "should", "because",
        "each", "just", "those", "people", "how", "too", "little", "state", "good", "very", "make", "world", "still", "own",
        "see", "men", "work", "long", "get", "here", "between", "both", "life", "being", "under", "never", "day", "same",
        "another", "know", "while", "last", "might", "us", "great", "old", "year", "off", "come", "since", "against", "go",
        "came", "right", "used", "take", "three", "himself", "few", "house", "use", "during", "without", "again", "place",
        "around", "however", "home", "small", "found", "thought", "went", "say", "part", "once", "general", "high", "upon",
        "school", "every", "don't", "does", "got", "united", "left", "number", "course", "war", "until", "always", "away",
        "something", "fact", "though", "water", "less", "public", "put", "think", "almost", "hand", "enough", "far", "took",
        "head", "yet", "government", "system", "better", "set", "told", "nothing", "night", "end", "why", "called", "didn't",
        "eyes", "find", "going", "look", "asked", "later", "knew", "point", "next", "program", "city", "business", "give",
        "group", "toward", "young", "days", "let", "room", "president", "side", "social", "given", "present", "several",
        "order", "national", "possible", "rather", "second", "face", "per", "among", "form", "important", "often", "things",
        "looked", "early", "white", "case", "john", "become", "large", "big", "need", "four", "within", "felt", "along",
        "children", "saw", "best", "church", "ever", "least", "power", "development", "light", "thing", "seemed", "family",
        "interest", "want", "members", "mind", "country", "area", "others", "done", "turned", "although", "open", "god",
        "service", "certain", "kind", "problem", "began", "different", "door", "thus", "help", "sense", "means", "whole",
        "matter", "perhaps", "itself", "york", "times", "law", "human", "line", "above", "name", "example", "company",
        "model", "token", "memory", "network", "function", "data", "value", "result", "question", "answer", "language",
        "inference", "weights", "layer", "attention", "kernel", "buffer", "thread", "cache", "request", "server",
    ];

    public static readonly string[] EnglishSyllables =
    [
        "ab", "ac", "ad", "al", "am", "an", "ar", "as", "at", "ba", "be", "bi", "bo", "bu", "ca", "ce", "ci", "co", "com",
        "con", "cu", "da", "de", "di", "dis", "do", "du", "el", "em", "en", "er", "es", "ex", "fa", "fe", "fi", "fo", "for",
        "ga", "ge", "gi", "go", "gra", "ha", "he", "hi", "ho", "hu", "im", "in", "ing", "ion", "is", "it", "ja", "ke", "ki",
        "la", "le", "li", "lo", "lu", "ly", "ma", "me", "ment", "mi", "mo", "mu", "na", "ne", "ness", "ni", "no", "nu", "ob",
        "of", "on", "or", "ous", "pa", "pe", "per", "pi", "po", "pre", "pro", "pu", "qua", "ra", "re", "ri", "ro", "ru",
        "sa", "se", "si", "so", "st", "str", "su", "ta", "te", "ter", "th", "ti", "tion", "to", "tra", "tu", "ty", "un",
        "up", "ur", "va", "ve", "vi", "vo", "wa", "we", "wi", "wo", "xi", "ya", "yo", "za", "ze", "zo", "ble", "ful",
        "less", "ward", "ish", "ize", "ed", "est", "ght", "ck", "sh", "ch", "ph", "wh", "ough", "ea", "ou", "oo", "ee",
    ];

    public static readonly string[] French =
    [
        "de", "la", "le", "et", "les", "des", "en", "un", "du", "une", "que", "est", "pour", "qui", "dans", "a", "par",
        "plus", "pas", "au", "sur", "ne", "se", "ce", "il", "sont", "avec", "ou", "été", "son", "aux", "mais", "comme",
        "elle", "on", "nous", "vous", "leur", "très", "où", "déjà", "même", "après", "première", "être", "état", "année",
        "été", "français", "société", "système", "développement", "à", "là", "ça", "voilà", "père", "mère", "frère",
        "élève", "école", "général", "région", "économie", "qualité", "sécurité", "réponse", "problème", "théâtre",
        "hôpital", "forêt", "fenêtre", "tête", "fête", "bête", "côte", "hôtel", "garçon", "leçon", "reçu", "façon",
        "naïf", "noël", "maïs", "cœur", "sœur", "œuvre", "bœuf", "œil", "déçu", "créé", "décidé", "préféré", "élevé",
        "intéressant", "bibliothèque", "très", "près", "succès", "procès", "accès", "modèle", "fidèle", "règle",
        "deuxième", "troisième", "dernière", "lumière", "rivière", "manière", "matière", "chère", "sincère", "colère",
        "maison", "temps", "jour", "homme", "femme", "enfant", "monde", "vie", "main", "chose", "pays", "ville", "nuit",
        "travail", "question", "histoire", "parole", "moment", "raison", "exemple", "pouvoir", "faire", "dire", "aller",
        "voir", "savoir", "prendre", "venir", "devoir", "vouloir", "parler", "trouver", "donner", "penser", "aimer",
        "grand", "petit", "nouveau", "bon", "vieux", "jeune", "beau", "haut", "long", "seul", "autre", "tout", "rien",
        "toujours", "jamais", "encore", "aussi", "bien", "peu", "beaucoup", "trop", "assez", "ici", "maintenant",
        "aujourd'hui", "demain", "hier", "peut-être", "c'est-à-dire", "où", "goût", "août", "coût", "sûr", "dû", "mûr",
    ];

    public static readonly string[] FrenchSyllables =
    [
        "ba", "be", "bé", "ca", "ce", "ché", "ci", "co", "da", "de", "dé", "di", "do", "é", "è", "ê", "fa", "fé", "fi",
        "ga", "gé", "gi", "la", "le", "lé", "li", "lo", "ma", "me", "mé", "mi", "mo", "na", "ne", "né", "ni", "no", "pa",
        "pe", "pé", "pi", "po", "ra", "re", "ré", "ri", "ro", "sa", "se", "sé", "si", "so", "ta", "te", "té", "ti", "to",
        "tion", "ment", "eau", "eux", "oir", "ier", "ière", "ète", "ès", "ôt", "âge", "ée", "ai", "ou", "on", "an", "en",
        "in", "un", "ç", "que", "gne", "ille", "ain", "ien",
    ];

    public static readonly string[] Russian =
    [
        "и", "в", "не", "на", "я", "что", "он", "с", "это", "как", "а", "по", "но", "они", "к", "у", "мы", "из", "за",
        "вы", "так", "же", "от", "все", "она", "было", "был", "для", "только", "его", "ее", "мне", "когда", "уже",
        "время", "человек", "год", "дело", "жизнь", "день", "рука", "раз", "работа", "слово", "место", "лицо", "друг",
        "глаз", "вопрос", "дом", "сторона", "страна", "мир", "случай", "голова", "ребенок", "сила", "конец", "вид",
        "система", "часть", "город", "отношение", "женщина", "деньги", "земля", "машина", "вода", "отец", "проблема",
        "большой", "новый", "хороший", "последний", "русский", "главный", "первый", "другой", "весь", "свой",
        "сказать", "говорить", "знать", "стать", "видеть", "хотеть", "идти", "думать", "сделать", "давать",
        "модель", "память", "сеть", "данные", "ответ", "язык", "слой", "поток", "сервер", "запрос",
    ];

    public static readonly string[] RussianSyllables =
    [
        "ба", "ва", "га", "да", "же", "за", "ка", "ла", "ма", "на", "па", "ра", "са", "та", "фа", "ха", "ца", "ча", "ша",
        "бо", "во", "го", "до", "ко", "ло", "мо", "но", "по", "ро", "со", "то", "ни", "ли", "ми", "ти", "ст", "ов", "ев",
        "ий", "ый", "ой", "ая", "ое", "ие", "ть", "ние", "ство", "тель", "ость", "ение", "ская", "ский", "ём", "ёт", "ю",
    ];

    // Common Chinese characters, roughly by frequency.
    public const string Chinese =
        "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事" +
        "成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工" +
        "使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化" +
        "老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受" +
        "目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思" +
        "王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组" +
        "每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离" +
        "况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六" +
        "模型推理缓存内存网络服务器语言数据令牌注意力层权重线程";

    public static readonly string[] Kanji =
    [
        "日本", "東京", "大阪", "学校", "先生", "学生", "会社", "仕事", "時間", "今日", "明日", "昨日", "天気", "電車", "駅",
        "友達", "家族", "子供", "言葉", "日本語", "英語", "漢字", "文章", "問題", "質問", "答え", "意味", "世界", "社会",
        "経済", "政治", "文化", "歴史", "科学", "技術", "研究", "開発", "情報", "計算", "機械", "学習", "言語", "処理",
        "人", "山", "川", "海", "空", "雨", "雪", "花", "木", "水", "火", "金", "土", "月", "年", "私", "彼", "彼女",
        "新", "古", "大", "小", "高", "安", "長", "多", "少", "早", "速", "美", "強", "弱", "重", "軽", "明", "暗",
        "見", "聞", "読", "書", "話", "食", "飲", "行", "来", "帰", "作", "使", "思", "知", "考", "始", "終", "待",
        "自動車", "図書館", "病院", "銀行", "郵便局", "公園", "映画", "音楽", "料理", "写真", "旅行", "運動", "勉強",
    ];

    public static readonly string[] Katakana =
    [
        "コンピューター", "インターネット", "ソフトウェア", "データ", "モデル", "トークン", "メモリ", "サーバー", "ネットワーク",
        "プログラム", "システム", "ユーザー", "ファイル", "テスト", "コード", "エラー", "メッセージ", "アプリ", "クラウド",
        "コーヒー", "テレビ", "ラジオ", "カメラ", "ホテル", "レストラン", "タクシー", "バス", "ビール", "ワイン", "パン",
        "ゲーム", "スポーツ", "サッカー", "テニス", "ピアノ", "ギター", "アメリカ", "フランス", "ドイツ", "イギリス",
        "ニュース", "デザイン", "マーケティング", "ビジネス", "プロジェクト", "チーム", "ミーティング", "スケジュール",
    ];

    public static readonly string[] Particles = ["は", "が", "を", "に", "で", "と", "の", "も", "から", "まで", "へ", "や", "より", "について", "として"];

    public static readonly string[] VerbEndings =
    [
        "します", "しました", "です", "でした", "ではありません", "ています", "ていました", "ました", "ます", "ません",
        "しない", "した", "する", "される", "できる", "できます", "しましょう", "ください", "だろう", "かもしれない", "みたい",
    ];

    public static readonly string[] Arabic =
    [
        "في", "من", "على", "إلى", "أن", "عن", "مع", "هذا", "هذه", "التي", "الذي", "كان", "ما", "لا", "هو", "هي", "كل",
        "بين", "قد", "ذلك", "بعد", "عند", "حتى", "إذا", "لم", "لن", "نحن", "أنت", "هم", "الله", "يوم", "سنة", "العالم",
        "مرحبا", "شكرا", "كيف", "حالك", "الكتاب", "المدرسة", "الطالب", "المعلم", "البيت", "المدينة", "الدولة", "الحكومة",
        "العمل", "الوقت", "الناس", "الحياة", "الماء", "الشمس", "القمر", "اللغة", "العربية", "الإنجليزية", "الفرنسية",
        "جديد", "كبير", "صغير", "جميل", "طويل", "قصير", "سريع", "بطيء", "كثير", "قليل", "أول", "آخر", "أفضل", "مهم",
        "يكتب", "يقرأ", "يذهب", "يأتي", "يعمل", "يعرف", "يريد", "يقول", "يرى", "يفكر", "يتكلم", "يسأل", "يجيب",
        "النموذج", "الذاكرة", "الشبكة", "البيانات", "الخادم", "الطلب", "الإجابة", "السؤال", "الحاسوب", "البرنامج",
    ];

    public static readonly string[] ArabicSyllables =
    [
        "ال", "م", "ت", "ي", "ن", "ب", "ك", "ل", "س", "ر", "د", "ع", "ف", "ق", "ح", "ج", "ش", "ص", "ط", "ز", "و", "ا",
        "ة", "ات", "ون", "ين", "يت", "مس", "كت", "در", "عل", "حر", "نظ", "قو", "فا", "سي", "لم", "مع", "ست", "تف",
    ];

    // Single code points, skin-tone modifiers, ZWJ sequences, flags, VS16 and keycap sequences.
    public static readonly string[] Emoji =
    [
        "😀", "😂", "🤣", "😊", "😍", "🙏", "🔥", "✨", "🎉", "🚀", "💡", "✅", "❌", "⭐", "👀", "💯", "🤔", "😭", "🥲", "🫠",
        "👍", "👍🏽", "👋🏻", "🙌🏿", "👏🏼", "💪🏾", "🤝", "👌🏻",
        "👨‍👩‍👧‍👦", "👩‍💻", "🧑‍🚀", "🏳️‍🌈", "❤️‍🔥", "👨🏽‍⚕️", "👩🏻‍🔬", "🧑🏿‍🍳", "🐕‍🦺", "👁️‍🗨️",
        "🇫🇷", "🇯🇵", "🇺🇸", "🇧🇷", "🇩🇪", "🇨🇳", "🇸🇦",
        "❤️", "☀️", "✌️", "☕", "⚡", "1️⃣", "#️⃣", "©️", "™️",
    ];

    public static readonly string[] Types = ["int", "string", "bool", "double", "void", "long", "float", "var", "Task<int>", "List<string>", "IReadOnlyList<Token>", "Span<byte>"];
}
