//! WhatsApp groups as a Baileys-style provider shows them: JIDs, who a participant is, member
//! roles, and how a synced group reads.

use std::time::Duration;

use crate::ValidationError;

/// A group synced this recently is not synced again unless asked for explicitly.
pub const SYNC_FRESH: Duration = Duration::from_secs(15 * 60);

/// What a JID names, by its server part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JidKind {
    /// A person by number (`s.whatsapp.net`, or the older `c.us`).
    User,
    Group,
    /// A person by WhatsApp's privacy id (`lid`): no number in it.
    Lid,
    /// Broadcasts, status, newsletters, calls: not conversations of ours.
    Other,
}

/// A parsed JID: `user[:device]@server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jid<'a> {
    pub user: &'a str,
    pub server: &'a str,
}

impl<'a> Jid<'a> {
    pub fn parse(raw: &'a str) -> Option<Self> {
        let (user, server) = raw.trim().split_once('@')?;
        // `num:device@…`: the device is not part of who it is.
        let user = user.split(':').next().unwrap_or(user);
        (!user.is_empty() && !server.is_empty()).then_some(Self { user, server })
    }
    pub fn kind(&self) -> JidKind {
        match self.server {
            "s.whatsapp.net" | "c.us" => JidKind::User,
            "g.us" => JidKind::Group,
            "lid" => JidKind::Lid,
            _ => JidKind::Other,
        }
    }
    /// The user part when it is a phone number (digits only).
    pub fn phone_digits(&self) -> Option<&'a str> {
        (self.kind() == JidKind::User && is_digits(self.user)).then_some(self.user)
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// The JID a message to this recipient goes to: group and LID JIDs as they are, anything else
/// (a phone number, with or without `+`) as `<digits>@s.whatsapp.net`.
pub fn send_jid(recipient: &str) -> String {
    let r = recipient.trim();
    if r.ends_with("@g.us") || r.ends_with("@lid") {
        return r.to_string();
    }
    let digits: String = r.split('@').next().unwrap_or(r).split(':').next().unwrap_or(r).chars().filter(char::is_ascii_digit).collect();
    format!("{digits}@s.whatsapp.net")
}

/// A participant as an agent names one (a phone number with or without `+`, or a JID) as the
/// provider wants it: a LID or phone JID. Anything else names nobody.
pub fn participant_jid(raw: &str) -> Option<String> {
    let r = raw.trim();
    if let Some(jid) = Jid::parse(r) {
        return match jid.kind() {
            JidKind::Lid => Some(format!("{}@lid", jid.user)),
            JidKind::User if is_digits(jid.user) && (5..=15).contains(&jid.user.len()) => Some(format!("{}@s.whatsapp.net", jid.user)),
            _ => None,
        };
    }
    let digits: String = r.strip_prefix('+').unwrap_or(r).chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    (is_digits(&digits) && (5..=15).contains(&digits.len())).then(|| format!("{digits}@s.whatsapp.net"))
}

/// The JID a contact is known by to WhatsApp: its LID, else its number's.
pub fn contact_jid(identifier: Option<&str>, phone: Option<&str>) -> Option<String> {
    identifier.filter(|i| i.ends_with("@lid")).map(str::to_string).or_else(|| phone.and_then(participant_jid))
}

/// The line that says why two contacts became one.
pub fn merged_line(mergee: &str, base: &str, lid: Option<&str>, phone: Option<&str>) -> Line {
    let ids: Vec<&str> = [lid, phone].into_iter().flatten().collect();
    Line::Merged { mergee: mergee.to_string(), base: base.to_string(), ids: ids.join(", ") }
}

/// The participants of an administrative request, checked: at least one, each naming someone.
pub fn participant_jids(field: &str, raw: &[String]) -> Result<Vec<String>, ValidationError> {
    if raw.is_empty() {
        return Err(ValidationError::new(field, "participants_required", "must name at least one participant"));
    }
    if raw.len() > MAX_PARTICIPANTS_PER_REQUEST {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("may name at most {MAX_PARTICIPANTS_PER_REQUEST} participants at once"),
        ));
    }
    raw.iter()
        .map(|p| {
            participant_jid(p).ok_or_else(|| {
                ValidationError::new(field, "invalid", format!("{p:?} is not a phone number (5 to 15 digits) or a WhatsApp JID"))
            })
        })
        .collect()
}

/// One request adds at most this many participants (one provider call each).
pub const MAX_PARTICIPANTS_PER_REQUEST: usize = 50;

/// A group's subject, as WhatsApp takes it: 1 to 100 characters.
pub fn subject(field: &str, raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValidationError::blank(field));
    }
    if s.chars().count() > 100 {
        return Err(ValidationError::invalid(field, "is longer than 100 characters"));
    }
    Ok(s.to_string())
}

/// A group's description: at most 2048 characters (empty removes it).
pub fn description(field: &str, raw: &str) -> Result<String, ValidationError> {
    if raw.chars().count() > 2048 {
        return Err(ValidationError::invalid(field, "is longer than 2048 characters"));
    }
    Ok(raw.trim().to_string())
}

/// A group setting an admin can switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSetting {
    /// Only admins may send.
    Announce(bool),
    /// Only admins may edit the group's data.
    Restrict(bool),
    /// Joining by link needs an admin's approval.
    JoinApproval(bool),
    /// `true`: every member may add others; `false`: only admins.
    MemberAdd(bool),
}

impl GroupSetting {
    /// `PATCH group_admin {property, enabled}`.
    pub fn parse(property: &str, enabled: bool) -> Result<Self, ValidationError> {
        Ok(match property {
            "announce" => Self::Announce(enabled),
            "restrict" => Self::Restrict(enabled),
            "join_approval_mode" => Self::JoinApproval(enabled),
            "member_add_mode" => Self::MemberAdd(enabled),
            _ => {
                return Err(ValidationError::new(
                    "property",
                    "invalid_property",
                    "must be one of announce, restrict, join_approval_mode, member_add_mode",
                ))
            }
        })
    }
    /// Its key in the group contact's additional_attributes, and its value.
    pub fn attribute(self) -> (&'static str, bool) {
        match self {
            Self::Announce(v) => ("announce", v),
            Self::Restrict(v) => ("restrict", v),
            Self::JoinApproval(v) => ("join_approval_mode", v),
            Self::MemberAdd(v) => ("member_add_mode", v),
        }
    }
    /// The change as `groups.update` would report it, for its activity line.
    pub fn as_change(self) -> SettingsChange<'static> {
        let mut change = SettingsChange::default();
        match self {
            Self::Announce(v) => change.announce = Some(v),
            Self::Restrict(v) => change.restrict = Some(v),
            Self::JoinApproval(v) => change.join_approval = Some(v),
            Self::MemberAdd(v) => change.member_add = Some(v),
        }
        change
    }
}

/// Who wrote in a group, or took part in a change: identified by LID when the provider gives
/// one, and by phone number when it can be read off a JID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// `<lid>@lid`.
    pub lid: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub name: Option<String>,
}

impl Person {
    /// From a participant JID and its alternate (`participantAlt`, or a participant's
    /// `phoneNumber`): the phone is the alternate's user part when all digits, else the
    /// participant's first `:`-segment when digits.
    pub fn from_jids(participant: &str, alternate: Option<&str>, name: Option<&str>) -> Option<Self> {
        let main = Jid::parse(participant)?;
        let alt = alternate.and_then(Jid::parse);
        let lid = [Some(main), alt].into_iter().flatten().find(|j| j.kind() == JidKind::Lid).map(|j| format!("{}@lid", j.user));
        let phone = alt
            .filter(|j| matches!(j.kind(), JidKind::User | JidKind::Other) && is_digits(j.user))
            .or_else(|| Some(main).filter(|j| j.kind() == JidKind::User && is_digits(j.user)))
            .map(|j| format!("+{}", j.user));
        let name = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        (lid.is_some() || phone.is_some()).then_some(Self { lid, phone, name })
    }

    /// The name a new contact gets: the push name, else the number.
    pub fn display_name(&self) -> String {
        self.name.clone().or_else(|| self.phone.clone()).or_else(|| self.lid.clone()).unwrap_or_default()
    }
}

/// A push name replaces a contact's name only when that name says nothing: blank, or just the
/// number (how contacts first seen in a group are named).
pub fn better_name(current: &str, push_name: Option<&str>) -> Option<String> {
    let push = push_name.map(str::trim).filter(|n| !n.is_empty())?;
    let bare: String = current.chars().filter(|c| !matches!(c, '+' | ' ' | '-')).collect();
    let says_nothing = current.trim().is_empty() || bare.chars().all(|c| c.is_ascii_digit()) || current.ends_with("@lid");
    (says_nothing && push != current).then(|| push.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    Member,
    Admin,
}

impl MemberRole {
    /// The provider's `admin` field: `admin`, `superadmin` or null.
    pub fn from_admin(admin: Option<&str>) -> Self {
        match admin {
            Some("admin") | Some("superadmin") => Self::Admin,
            _ => Self::Member,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }
}

/// What a `group-participants.update` action does to each participant's membership:
/// `(active, role)`, where `None` keeps the role it had.
pub fn participant_action(action: &str) -> Option<(bool, Option<MemberRole>)> {
    match action {
        "add" => Some((true, Some(MemberRole::Member))),
        "remove" => Some((false, None)),
        "promote" => Some((true, Some(MemberRole::Admin))),
        "demote" => Some((true, Some(MemberRole::Member))),
        _ => None,
    }
}

/// The activity line a participant change leaves in the group's conversation.
pub fn participant_activity(action: &str, name: &str, by_self: bool, by_someone: bool) -> Option<Line> {
    let name = name.to_string();
    Some(match action {
        "add" if !by_someone => Line::Joined(name),
        "add" => Line::Added(name),
        "remove" if by_self => Line::Left(name),
        "remove" => Line::Removed(name),
        "promote" => Line::Promoted(name),
        "demote" => Line::Demoted(name),
        _ => return None,
    })
}

/// The language of an account's activity lines (its `locale`): Brazilian Portuguese for `pt`
/// locales, English otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    PtBr,
}

impl Locale {
    pub fn of(raw: &str) -> Self {
        let lower = raw.trim().to_ascii_lowercase();
        if lower == "pt" || lower.starts_with("pt_") || lower.starts_with("pt-") {
            Self::PtBr
        } else {
            Self::En
        }
    }
}

/// A group's activity line, written in the account's language when it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Joined(String),
    Added(String),
    Left(String),
    Removed(String),
    Promoted(String),
    Demoted(String),
    Subject(String),
    DescriptionChanged,
    DescriptionRemoved,
    InviteReset,
    /// Only admins may send (`true`) or everyone may.
    Announce(bool),
    /// Only admins may edit the group's data (`true`) or everyone may.
    Restrict(bool),
    JoinApproval(bool),
    /// Every member may add others (`true`) or only admins.
    MemberAdd(bool),
    PictureChanged,
    Created,
    JoinRequested(String),
    JoinWithdrawn(String),
    JoinApproved(String),
    JoinRejected(usize),
    InboxLeft,
    InboxRemoved,
    /// Two contacts became one: the mergee, the base, and the identifiers that showed it.
    Merged {
        mergee: String,
        base: String,
        ids: String,
    },
}

impl Line {
    pub fn render(&self, locale: Locale) -> String {
        let pt = locale == Locale::PtBr;
        let pick = |en: String, pt_br: String| if pt { pt_br } else { en };
        match self {
            Self::Joined(n) => pick(format!("{n} joined the group"), format!("{n} entrou no grupo")),
            Self::Added(n) => pick(format!("{n} was added to the group"), format!("{n} foi adicionado(a) ao grupo")),
            Self::Left(n) => pick(format!("{n} left the group"), format!("{n} saiu do grupo")),
            Self::Removed(n) => pick(format!("{n} was removed from the group"), format!("{n} foi removido(a) do grupo")),
            Self::Promoted(n) => pick(format!("{n} is now an admin"), format!("{n} agora é admin")),
            Self::Demoted(n) => pick(format!("{n} is no longer an admin"), format!("{n} não é mais admin")),
            Self::Subject(s) => pick(format!("Group name changed to {s}"), format!("Nome do grupo alterado para {s}")),
            Self::DescriptionChanged => pick("Group description was changed".into(), "A descrição do grupo foi alterada".into()),
            Self::DescriptionRemoved => pick("Group description was removed".into(), "A descrição do grupo foi removida".into()),
            Self::InviteReset => pick("Group invite link was reset".into(), "O link de convite do grupo foi redefinido".into()),
            Self::Announce(true) => pick("Only admins can send messages".into(), "Somente admins podem enviar mensagens".into()),
            Self::Announce(false) => pick("All members can send messages".into(), "Todos os membros podem enviar mensagens".into()),
            Self::Restrict(true) => pick("Only admins can edit group info".into(), "Somente admins podem editar os dados do grupo".into()),
            Self::Restrict(false) => {
                pick("All members can edit group info".into(), "Todos os membros podem editar os dados do grupo".into())
            }
            Self::JoinApproval(true) => {
                pick("Admin approval to join was enabled".into(), "A aprovação de admin para entrar foi ativada".into())
            }
            Self::JoinApproval(false) => {
                pick("Admin approval to join was disabled".into(), "A aprovação de admin para entrar foi desativada".into())
            }
            Self::MemberAdd(true) => pick("All members can add others".into(), "Todos os membros podem adicionar outros".into()),
            Self::MemberAdd(false) => pick("Only admins can add others".into(), "Somente admins podem adicionar outros".into()),
            Self::PictureChanged => pick("Group picture was changed".into(), "A foto do grupo foi alterada".into()),
            Self::Created => pick("The group was created".into(), "O grupo foi criado".into()),
            Self::JoinRequested(who) => pick(format!("{who} asked to join the group"), format!("{who} pediu para entrar no grupo")),
            Self::JoinWithdrawn(who) => pick(format!("{who} withdrew the request to join"), format!("{who} cancelou o pedido para entrar")),
            Self::JoinApproved(n) => {
                pick(format!("{n}'s request to join was approved"), format!("O pedido de {n} para entrar foi aprovado"))
            }
            Self::JoinRejected(count) => {
                pick(format!("{count} request(s) to join were rejected"), format!("{count} pedido(s) para entrar foram recusados"))
            }
            Self::InboxLeft => pick("The inbox left the group".into(), "A caixa de entrada saiu do grupo".into()),
            Self::InboxRemoved => pick("The inbox was removed from the group".into(), "A caixa de entrada foi removida do grupo".into()),
            Self::Merged { mergee, base, ids } => pick(
                format!("{mergee} was merged into {base}: WhatsApp shows they are the same person ({ids})"),
                format!("{mergee} foi mesclado(a) com {base}: o WhatsApp mostra que são a mesma pessoa ({ids})"),
            ),
        }
    }
}

/// The activity lines a `groups.update` leaves, one per change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange<'a> {
    pub subject: Option<&'a str>,
    /// `Some(None)`: the description was removed.
    pub description: Option<Option<&'a str>>,
    pub invite_reset: bool,
    pub announce: Option<bool>,
    pub restrict: Option<bool>,
    pub join_approval: Option<bool>,
    pub member_add: Option<bool>,
}

impl SettingsChange<'_> {
    pub fn activity(&self) -> Vec<Line> {
        let mut lines = Vec::new();
        if let Some(subject) = self.subject {
            lines.push(Line::Subject(subject.to_string()));
        }
        match self.description {
            Some(Some(_)) => lines.push(Line::DescriptionChanged),
            Some(None) => lines.push(Line::DescriptionRemoved),
            None => {}
        }
        if self.invite_reset {
            lines.push(Line::InviteReset);
        }
        lines.extend(self.announce.map(Line::Announce));
        lines.extend(self.restrict.map(Line::Restrict));
        lines.extend(self.join_approval.map(Line::JoinApproval));
        lines.extend(self.member_add.map(Line::MemberAdd));
        lines
    }
}

/// Whether the inbox's own number is this participant: exactly, or by the last 8 digits (the
/// provider may write a number with or without its country's mobile prefix).
pub fn is_same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b || (a.len() >= 8 && b.len() >= 8 && a[a.len() - 8..] == b[b.len() - 8..])
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn jids_are_read_by_their_server() {
        assert_eq!(Jid::parse("120363041234567890@g.us").map(|j| j.kind()), Some(JidKind::Group));
        assert_eq!(Jid::parse("5731:12@s.whatsapp.net").map(|j| (j.user, j.kind())), Some(("5731", JidKind::User)));
        assert_eq!(Jid::parse("2771@lid").and_then(|j| j.phone_digits()), None);
        assert_eq!(Jid::parse("status@broadcast").map(|j| j.kind()), Some(JidKind::Other));
        assert_eq!(Jid::parse("nonsense"), None);
    }

    #[test]
    fn messages_go_to_group_and_lid_jids_as_they_are_and_to_numbers_otherwise() {
        assert_eq!(send_jid("120363041234567890@g.us"), "120363041234567890@g.us");
        assert_eq!(send_jid("2771@lid"), "2771@lid");
        assert_eq!(send_jid("+57 300 123 4567"), "573001234567@s.whatsapp.net");
        assert_eq!(send_jid("573001234567:3@s.whatsapp.net"), "573001234567@s.whatsapp.net");
    }

    #[test]
    fn a_participant_is_known_by_lid_and_by_the_number_the_provider_reveals() -> TestResult {
        let p = Person::from_jids("2771@lid", Some("573001112222@s.whatsapp.net"), Some(" Ana ")).ok_or("a person")?;
        assert_eq!(p, Person { lid: Some("2771@lid".into()), phone: Some("+573001112222".into()), name: Some("Ana".into()) });
        let p = Person::from_jids("573001112222:7@s.whatsapp.net", None, None).ok_or("a person")?;
        assert_eq!((p.lid, p.phone.as_deref()), (None, Some("+573001112222")));
        assert_eq!(Person::from_jids("2771@lid", None, None).ok_or("a person")?.display_name(), "2771@lid");
        assert_eq!(Person::from_jids("garbage", None, None), None);
        Ok(())
    }

    #[test]
    fn push_names_replace_only_names_that_say_nothing() {
        assert_eq!(better_name("+573001112222", Some("Ana")), Some("Ana".into()));
        assert_eq!(better_name("", Some("Ana")), Some("Ana".into()));
        assert_eq!(better_name("Ana María", Some("Ana")), None);
        assert_eq!(better_name("+573001112222", Some("  ")), None);
    }

    #[test]
    fn participant_actions_map_to_memberships_and_activity_lines() {
        assert_eq!(participant_action("promote"), Some((true, Some(MemberRole::Admin))));
        assert_eq!(participant_action("remove"), Some((false, None)));
        assert_eq!(participant_action("modify"), None);
        let en = |l: Option<Line>| l.map(|l| l.render(Locale::En));
        assert_eq!(en(participant_activity("add", "Ana", false, false)).as_deref(), Some("Ana joined the group"));
        assert_eq!(en(participant_activity("remove", "Ana", true, true)).as_deref(), Some("Ana left the group"));
        assert_eq!(participant_activity("remove", "Ana", true, true).map(|l| l.render(Locale::PtBr)).as_deref(), Some("Ana saiu do grupo"));
        assert_eq!(MemberRole::from_admin(Some("superadmin")), MemberRole::Admin);
        assert!(is_same_number("+57 300 111 2222", "3001112222"));
        let change = SettingsChange { subject: Some("Ventas"), description: Some(None), announce: Some(true), ..Default::default() };
        let lines: Vec<String> = change.activity().iter().map(|l| l.render(Locale::En)).collect();
        assert_eq!(lines, ["Group name changed to Ventas", "Group description was removed", "Only admins can send messages"]);
        assert!(!is_same_number("+573001112222", "+573001113333"));
    }
}

#[cfg(test)]
mod admin_tests {
    use super::*;

    #[test]
    fn participants_are_numbers_or_person_jids() {
        assert_eq!(participant_jid("5511999999999").as_deref(), Some("5511999999999@s.whatsapp.net"));
        assert_eq!(participant_jid(" +55 11 99999-9999 ").as_deref(), Some("5511999999999@s.whatsapp.net"));
        assert_eq!(participant_jid("2771@lid").as_deref(), Some("2771@lid"));
        assert_eq!(participant_jid("573001112222:3@s.whatsapp.net").as_deref(), Some("573001112222@s.whatsapp.net"));
        assert_eq!(participant_jid("120363041234567890@g.us"), None, "a group is not a participant");
        assert_eq!(participant_jid("ana"), None);
        assert_eq!(participant_jid("1234"), None, "too short for a number");
        assert_eq!(participant_jids("participants", &[]).unwrap_err().code, "participants_required");
        let bad = participant_jids("participants", &["5511999999999".into(), "x".into()]).unwrap_err();
        assert_eq!((bad.field.as_str(), bad.code), ("participants", "invalid"));
    }

    #[test]
    fn settings_parse_and_name_their_attribute() {
        assert_eq!(GroupSetting::parse("announce", true), Ok(GroupSetting::Announce(true)));
        assert_eq!(GroupSetting::parse("member_add_mode", false).map(GroupSetting::attribute), Ok(("member_add_mode", false)));
        assert_eq!(GroupSetting::parse("ephemeral", true).unwrap_err().code, "invalid_property");
        assert_eq!(GroupSetting::JoinApproval(true).as_change().activity(), vec![Line::JoinApproval(true)]);
        assert_eq!(Line::JoinApproval(true).render(Locale::En), "Admin approval to join was enabled");
        assert_eq!(Line::JoinApproval(true).render(Locale::of("pt_BR")), "A aprovação de admin para entrar foi ativada");
        assert_eq!(Locale::of("es"), Locale::En);
    }

    #[test]
    fn subjects_are_one_to_a_hundred_characters() {
        assert_eq!(subject("subject", "  Pedidos ").as_deref(), Ok("Pedidos"));
        assert_eq!(subject("subject", " ").unwrap_err().code, "blank");
        assert!(subject("subject", &"a".repeat(101)).is_err());
        assert!(description("description", &"a".repeat(2049)).is_err());
    }
}

/// A contact mention as message content stores it: `[@Name](mention://contact/<id>/<name>)`,
/// where id 0 named `all` is everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMention {
    /// Where the whole link sits in the text (bytes).
    pub range: std::ops::Range<usize>,
    pub contact_id: i64,
    pub name: String,
}

impl ContactMention {
    pub fn everyone(&self) -> bool {
        self.contact_id == 0
    }
}

/// The contact mentions in a text, in order.
pub fn contact_mentions(text: &str) -> Vec<ContactMention> {
    const LINK: &str = "](mention://contact/";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(LINK).map(|i| i + from) {
        from = at + LINK.len();
        // The label `[@Name` before, the `<id>/<name>)` after.
        let Some(open) = text[..at].rfind("[@") else { continue };
        let rest = &text[from..];
        let Some(close) = rest.find(')') else { continue };
        let Some((id, name)) = rest[..close].split_once('/') else { continue };
        let Ok(contact_id) = id.parse::<i64>() else { continue };
        let name = url::form_urlencoded::parse(format!("n={name}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
        found.push(ContactMention { range: open..from + close + 1, contact_id, name });
        from += close + 1;
    }
    found
}

/// The link a mention of this contact is stored as.
pub fn mention_link(contact_id: i64, name: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("[@{name}](mention://contact/{contact_id}/{})", encoded.replace('+', "%20"))
}

/// Replaces `@<handle>` in an incoming text by the link of the contact with that handle (a
/// LID's or number's user part), and `@everyone`/`@all` by the link to everyone when the
/// message mentions everyone. A handle is replaced only as a whole word.
pub fn link_mentions(text: &str, handles: &[(String, i64, String)], everyone: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let word_len = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        let word = &after[..word_len];
        let link = handles
            .iter()
            .find(|(handle, _, _)| handle == word)
            .map(|(_, id, name)| mention_link(*id, name))
            .or_else(|| (everyone && matches!(word, "everyone" | "all" | "todos")).then(|| mention_link(0, "all")));
        match link {
            Some(link) => out.push_str(&link),
            None => {
                out.push('@');
                out.push_str(word);
            }
        }
        rest = &after[word_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod mention_tests {
    use super::*;

    #[test]
    fn stored_mentions_are_found_with_their_names() {
        let text = "hola [@Luis Pérez](mention://contact/12/Luis%20P%C3%A9rez) y [@all](mention://contact/0/all)!";
        let found = contact_mentions(text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].contact_id, found[0].name.as_str()), (12, "Luis Pérez"));
        assert_eq!(&text[found[0].range.clone()], "[@Luis Pérez](mention://contact/12/Luis%20P%C3%A9rez)");
        assert!(found[1].everyone());
        assert!(contact_mentions("no [@x](mention://user/3/x) here").is_empty(), "user mentions are the agents'");
    }

    #[test]
    fn incoming_handles_become_links_as_whole_words() {
        let handles = vec![("2772".to_string(), 5, "Luis".to_string()), ("573001112222".to_string(), 6, "Ana M".to_string())];
        let linked = link_mentions("@2772 y @573001112222, no @27721; @everyone", &handles, true);
        assert_eq!(
            linked,
            "[@Luis](mention://contact/5/Luis) y [@Ana M](mention://contact/6/Ana%20M), no @27721; [@all](mention://contact/0/all)"
        );
        assert_eq!(link_mentions("@everyone", &handles, false), "@everyone");
        let back = contact_mentions(&linked);
        assert_eq!(back.iter().map(|m| m.contact_id).collect::<Vec<_>>(), vec![5, 6, 0]);
        assert_eq!(back[1].name, "Ana M");
    }
}

/// The group system messages (Baileys' `messageStubType`) that change what we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StubKind {
    /// `GROUP_CREATE` (20).
    Created,
    /// `GROUP_CHANGE_ICON` (22).
    IconChanged,
    /// A request to join, made or withdrawn (`GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD`,
    /// parameters `[{"lid", "pn"} as JSON, "created" | "revoked"]`).
    JoinRequest { person: Person, withdrawn: bool },
}

impl StubKind {
    /// The stub's meaning, by its type's name or number; `None` for stubs that change nothing
    /// of ours (the others arrive as their own events).
    pub fn of(kind: &str, parameters: &[String]) -> Option<Self> {
        match kind {
            "GROUP_CREATE" | "20" => Some(Self::Created),
            "GROUP_CHANGE_ICON" | "22" => Some(Self::IconChanged),
            k if k.contains("JOIN_APPROVAL_REQUEST") || k == "172" || k == "173" => {
                let who: serde_json::Value = serde_json::from_str(parameters.first()?).ok()?;
                let text = |key: &str| who.get(key).and_then(serde_json::Value::as_str);
                let person = Person::from_jids(text("lid").or(text("pn"))?, text("pn"), None)?;
                let withdrawn = match parameters.get(1).map(String::as_str) {
                    Some("revoked") => true,
                    Some("created") | None => false,
                    Some(_) => return None,
                };
                Some(Self::JoinRequest { person, withdrawn })
            }
            _ => None,
        }
    }
}

/// `pending_join_requests` after a request is made (added once) or withdrawn (removed): entries
/// `{lid, pn, requested_at}`, matched by LID or number.
pub fn pending_join_requests(attributes: &serde_json::Value, person: &Person, withdrawn: bool, now: i64) -> serde_json::Value {
    let same = |e: &serde_json::Value| {
        let lid = e.get("lid").and_then(serde_json::Value::as_str);
        let pn = e.get("pn").and_then(serde_json::Value::as_str);
        (person.lid.is_some() && lid == person.lid.as_deref()) || (person.phone.is_some() && pn == person.phone.as_deref())
    };
    let mut list: Vec<serde_json::Value> =
        attributes.get("pending_join_requests").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    let known = list.iter().any(same);
    if withdrawn {
        list.retain(|e| !same(e));
    } else if !known {
        list.push(serde_json::json!({ "lid": person.lid, "pn": person.phone, "requested_at": now }));
    }
    serde_json::Value::Array(list)
}

#[cfg(test)]
mod stub_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stubs_are_read_by_name_or_number() {
        assert_eq!(StubKind::of("GROUP_CHANGE_ICON", &[]), Some(StubKind::IconChanged));
        assert_eq!(StubKind::of("20", &[]), Some(StubKind::Created));
        assert_eq!(StubKind::of("GROUP_CHANGE_SUBJECT", &[]), None);
        let params = vec![r#"{"lid":"2780@lid","pn":"573007778888@s.whatsapp.net"}"#.to_string(), "created".to_string()];
        let Some(StubKind::JoinRequest { person, withdrawn }) =
            StubKind::of("GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD", &params)
        else {
            panic!("a join request")
        };
        assert_eq!((person.lid.as_deref(), person.phone.as_deref(), withdrawn), (Some("2780@lid"), Some("+573007778888"), false));
    }

    #[test]
    fn pending_requests_are_added_once_and_withdrawn() {
        let ana = Person { lid: Some("2780@lid".into()), phone: Some("+573007778888".into()), name: None };
        let once = pending_join_requests(&json!({}), &ana, false, 10);
        let twice = pending_join_requests(&json!({ "pending_join_requests": once.clone() }), &ana, false, 11);
        assert_eq!(once, twice);
        assert_eq!(once, json!([{ "lid": "2780@lid", "pn": "+573007778888", "requested_at": 10 }]));
        assert_eq!(pending_join_requests(&json!({ "pending_join_requests": once }), &ana, true, 12), json!([]));
    }
}
