//! Every word the console shows, in English, Italian and Arabic. The
//! customer's own view (the framed order page) and the emails keep their
//! words in `templates/`; these are the shop's staff's.

/// The console's languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    It,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::It, Lang::Ar];

    /// The language a tag names (`it-IT` is Italian), else none.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag.get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "it" => Some(Lang::It),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
            Lang::Ar => "ar",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En | Lang::It => "ltr",
        }
    }

    /// The language's own name, as its speakers pick it from a list.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::It => "Italiano",
            Lang::Ar => "العربية",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::It => &IT,
            Lang::Ar => &AR,
        }
    }
}

/// `{name}` in `text` replaced by `value`, for each pair.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(text.to_owned(), |out, (name, value)| {
        out.replace(&format!("{{{name}}}"), value)
    })
}

#[derive(Debug)]
pub struct Words {
    pub title: &'static str,
    pub skip: &'static str,
    pub language: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_what: &'static str,
    pub shop: &'static str,
    pub key: &'static str,
    pub key_hint: &'static str,
    pub sign_in: &'static str,
    pub signing_in: &'static str,
    pub sign_out: &'static str,
    pub owner: &'static str,
    pub agent: &'static str,
    pub nav_label: &'static str,
    pub orders: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub find: &'static str,
    pub stage: &'static str,
    pub any_stage: &'static str,
    pub stages: [(&'static str, &'static str); 6],
    pub sku: &'static str,
    pub tag: &'static str,
    pub needs_decision: &'static str,
    pub consent_soon: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub export_csv: &'static str,
    pub total: &'static str,
    pub no_orders: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub col_order: &'static str,
    pub col_placed: &'static str,
    pub col_stage: &'static str,
    pub col_window: &'static str,
    pub col_days: &'static str,
    pub col_choice: &'static str,
    pub col_tags: &'static str,
    pub decision_badge: &'static str,
    pub loading: &'static str,
    pub failed: &'static str,
    pub back: &'static str,
    pub order_title: &'static str,
    pub customer_sees: &'static str,
    pub customer_frame: &'static str,
    pub open_customer_page: &'static str,
    pub contact: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub customer_language: &'static str,
    pub deadlines: &'static str,
    pub consent_by: &'static str,
    pub refund_by: &'static str,
    pub none: &'static str,
    pub emails: &'static str,
    pub col_kind: &'static str,
    pub col_state: &'static str,
    pub col_subject: &'static str,
    pub col_when: &'static str,
    pub open_email: &'static str,
    pub close_email: &'static str,
    pub email_frame: &'static str,
    pub send_again: &'static str,
    pub sent_again: &'static str,
    pub actions: &'static str,
    pub col_action: &'static str,
    pub col_attempts: &'static str,
    pub col_deadline: &'static str,
    pub notes: &'static str,
    pub note: &'static str,
    pub add_note: &'static str,
    pub note_added: &'static str,
}

pub static EN: Words = Words {
    title: "Backorder console",
    skip: "Skip to the content",
    language: "Language",
    sign_in_title: "Sign in",
    sign_in_what: "Sign in with your shop's API key, or with the agent key its owner gave you. The console keeps you signed in for 8 hours on this browser.",
    shop: "Shop",
    key: "Key",
    key_hint: "It starts with bk_ (the owner's) or bka_ (an agent's).",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    sign_out: "Sign out",
    owner: "Owner",
    agent: "Agent {name}",
    nav_label: "Console",
    orders: "Orders",
    search: "Search",
    search_hint: "An order number, or the customer's exact email",
    find: "Find",
    stage: "Stage",
    any_stage: "Any stage",
    stages: [
        ("waiting", "Waiting for stock"),
        ("processing", "In stock"),
        ("processed", "Packed"),
        ("shipped", "Shipped"),
        ("delivered", "Delivered"),
        ("cancelled", "Cancelled"),
    ],
    sku: "SKU",
    tag: "Tag",
    needs_decision: "Waiting for the customer's decision",
    consent_soon: "US-rule answer due within 3 days",
    apply: "Filter",
    clear: "Clear",
    export_csv: "Export these orders (CSV)",
    total: "{n} orders",
    no_orders: "No order matches.",
    next_page: "Next page",
    first_page: "First page",
    col_order: "Order",
    col_placed: "Placed",
    col_stage: "Stage",
    col_window: "Ships",
    col_days: "Days waiting",
    col_choice: "Choice",
    col_tags: "Tags",
    decision_badge: "decision due",
    loading: "Loading…",
    failed: "Could not load: {message}",
    back: "All orders",
    order_title: "Order {order}",
    customer_sees: "What the customer sees",
    customer_frame: "The customer's order page",
    open_customer_page: "Open the customer's page",
    contact: "Contact",
    email: "Email",
    name: "Name",
    customer_language: "Language",
    deadlines: "Deadlines",
    consent_by: "The customer must answer by",
    refund_by: "Refund due by",
    none: "None",
    emails: "Emails",
    col_kind: "Email",
    col_state: "State",
    col_subject: "Subject",
    col_when: "Queued",
    open_email: "Open as sent",
    close_email: "Close",
    email_frame: "The email as sent",
    send_again: "Send again",
    sent_again: "Queued to send again.",
    actions: "Actions for the back office",
    col_action: "Action",
    col_attempts: "Attempts",
    col_deadline: "Deadline",
    notes: "Notes",
    note: "New note",
    add_note: "Add the note",
    note_added: "Note added.",
};

pub static IT: Words = Words {
    title: "Console degli ordini arretrati",
    skip: "Vai al contenuto",
    language: "Lingua",
    sign_in_title: "Accedi",
    sign_in_what: "Accedi con la chiave API del negozio, o con la chiave da operatore che ti ha dato il titolare. La console ti tiene connesso per 8 ore su questo browser.",
    shop: "Negozio",
    key: "Chiave",
    key_hint: "Inizia con bk_ (del titolare) o bka_ (di un operatore).",
    sign_in: "Accedi",
    signing_in: "Accesso in corso…",
    sign_out: "Esci",
    owner: "Titolare",
    agent: "Operatore {name}",
    nav_label: "Console",
    orders: "Ordini",
    search: "Cerca",
    search_hint: "Un numero d'ordine, o l'email esatta del cliente",
    find: "Trova",
    stage: "Stato",
    any_stage: "Qualsiasi stato",
    stages: [
        ("waiting", "In attesa della merce"),
        ("processing", "Disponibile"),
        ("processed", "Imballato"),
        ("shipped", "Spedito"),
        ("delivered", "Consegnato"),
        ("cancelled", "Annullato"),
    ],
    sku: "SKU",
    tag: "Etichetta",
    needs_decision: "In attesa della decisione del cliente",
    consent_soon: "Risposta per la regola USA entro 3 giorni",
    apply: "Filtra",
    clear: "Azzera",
    export_csv: "Esporta questi ordini (CSV)",
    total: "{n} ordini",
    no_orders: "Nessun ordine corrisponde.",
    next_page: "Pagina successiva",
    first_page: "Prima pagina",
    col_order: "Ordine",
    col_placed: "Effettuato",
    col_stage: "Stato",
    col_window: "Spedizione",
    col_days: "Giorni di attesa",
    col_choice: "Scelta",
    col_tags: "Etichette",
    decision_badge: "decisione attesa",
    loading: "Caricamento…",
    failed: "Impossibile caricare: {message}",
    back: "Tutti gli ordini",
    order_title: "Ordine {order}",
    customer_sees: "Ciò che vede il cliente",
    customer_frame: "La pagina dell'ordine del cliente",
    open_customer_page: "Apri la pagina del cliente",
    contact: "Contatto",
    email: "Email",
    name: "Nome",
    customer_language: "Lingua",
    deadlines: "Scadenze",
    consent_by: "Il cliente deve rispondere entro",
    refund_by: "Rimborso dovuto entro",
    none: "Nessuna",
    emails: "Email",
    col_kind: "Email",
    col_state: "Stato",
    col_subject: "Oggetto",
    col_when: "In coda dal",
    open_email: "Apri come inviata",
    close_email: "Chiudi",
    email_frame: "L'email come è stata inviata",
    send_again: "Invia di nuovo",
    sent_again: "In coda per un nuovo invio.",
    actions: "Azioni per il gestionale",
    col_action: "Azione",
    col_attempts: "Tentativi",
    col_deadline: "Scadenza",
    notes: "Note",
    note: "Nuova nota",
    add_note: "Aggiungi la nota",
    note_added: "Nota aggiunta.",
};

pub static AR: Words = Words {
    title: "لوحة الطلبات المؤجلة",
    skip: "انتقل إلى المحتوى",
    language: "اللغة",
    sign_in_title: "تسجيل الدخول",
    sign_in_what: "سجّل الدخول بمفتاح API الخاص بالمتجر، أو بمفتاح الموظف الذي أعطاك إياه المالك. تُبقيك اللوحة مسجّلًا لمدة 8 ساعات على هذا المتصفح.",
    shop: "المتجر",
    key: "المفتاح",
    key_hint: "يبدأ بـ bk_ (للمالك) أو bka_ (لموظف).",
    sign_in: "دخول",
    signing_in: "جارٍ تسجيل الدخول…",
    sign_out: "خروج",
    owner: "المالك",
    agent: "الموظف {name}",
    nav_label: "اللوحة",
    orders: "الطلبات",
    search: "بحث",
    search_hint: "رقم الطلب، أو البريد الإلكتروني للعميل كما هو",
    find: "ابحث",
    stage: "المرحلة",
    any_stage: "كل المراحل",
    stages: [
        ("waiting", "بانتظار البضاعة"),
        ("processing", "متوفر"),
        ("processed", "تم التغليف"),
        ("shipped", "تم الشحن"),
        ("delivered", "تم التسليم"),
        ("cancelled", "أُلغي"),
    ],
    sku: "رمز المنتج",
    tag: "الوسم",
    needs_decision: "بانتظار قرار العميل",
    consent_soon: "ردّ قاعدة الولايات المتحدة مستحق خلال 3 أيام",
    apply: "تصفية",
    clear: "مسح",
    export_csv: "صدّر هذه الطلبات (CSV)",
    total: "{n} طلبًا",
    no_orders: "لا يوجد طلب مطابق.",
    next_page: "الصفحة التالية",
    first_page: "الصفحة الأولى",
    col_order: "الطلب",
    col_placed: "تاريخ الطلب",
    col_stage: "المرحلة",
    col_window: "الشحن",
    col_days: "أيام الانتظار",
    col_choice: "الاختيار",
    col_tags: "الوسوم",
    decision_badge: "بانتظار القرار",
    loading: "جارٍ التحميل…",
    failed: "تعذّر التحميل: {message}",
    back: "كل الطلبات",
    order_title: "الطلب {order}",
    customer_sees: "ما يراه العميل",
    customer_frame: "صفحة طلب العميل",
    open_customer_page: "افتح صفحة العميل",
    contact: "التواصل",
    email: "البريد الإلكتروني",
    name: "الاسم",
    customer_language: "اللغة",
    deadlines: "المواعيد النهائية",
    consent_by: "على العميل أن يرد قبل",
    refund_by: "الاسترداد مستحق قبل",
    none: "لا شيء",
    emails: "الرسائل",
    col_kind: "الرسالة",
    col_state: "الحالة",
    col_subject: "الموضوع",
    col_when: "أُدرجت في",
    open_email: "افتحها كما أُرسلت",
    close_email: "إغلاق",
    email_frame: "الرسالة كما أُرسلت",
    send_again: "أرسلها مجددًا",
    sent_again: "أُدرجت لإرسالها مجددًا.",
    actions: "إجراءات للنظام الخلفي",
    col_action: "الإجراء",
    col_attempts: "المحاولات",
    col_deadline: "الموعد النهائي",
    notes: "الملاحظات",
    note: "ملاحظة جديدة",
    add_note: "أضف الملاحظة",
    note_added: "أُضيفت الملاحظة.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_pick_our_languages_and_nothing_else() {
        assert_eq!(Lang::from_tag("it-IT"), Some(Lang::It));
        assert_eq!(Lang::from_tag("AR"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("fr"), None);
        assert_eq!(Lang::from_tag("e"), None);
    }

    #[test]
    fn every_language_names_the_same_stages_in_the_same_order() {
        for lang in Lang::ALL {
            let codes: Vec<&str> = lang.words().stages.iter().map(|(code, _)| *code).collect();
            assert_eq!(
                codes,
                [
                    "waiting",
                    "processing",
                    "processed",
                    "shipped",
                    "delivered",
                    "cancelled"
                ]
            );
        }
    }
}
