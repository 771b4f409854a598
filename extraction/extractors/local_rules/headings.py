"""Section headings in English, German, French, Spanish, Portuguese, Italian,
Dutch, Polish, Russian, Chinese and Japanese."""

from __future__ import annotations

import re
import unicodedata

from .text import squash

_HEADINGS = {
    "contact": """contact contacts contactinfo contactinformation contactdetails personaldetails
        personalinformation personalinfo kontakt kontaktdaten persönlichedaten contacto
        datospersonales coordonnées coordonnees informationspersonnelles contato contatos
        dadospessoais contatti informazionipersonali contactgegevens persoonlijkegegevens
        danekontaktowe daneosobowe контакты контактнаяинформация 联系方式 联系信息 个人信息
        基本信息 連絡先 個人情報 location standort ubicación localisation""",
    "summary": """about aboutme summary professionalsummary profile professionalprofile
        personalprofile objective careerobjective overview introduction bio background
        über überuns übermich zusammenfassung profil kurzprofil persönlichesprofil
        sobremí sobremi resumen perfil perfilprofesional resumenprofesional extracto
        àpropos apropos résumé resume profilprofessionnel présentation sobre resumo
        perfilprofissional chisono profilo profiloprofessionale riepilogo sommario
        overmij samenvatting profiel omnie podsumowanie profil оцебе обомне резюме
        профиль 个人简介 自我评价 自我介绍 简介 关于我 个人总结 自己紹介 自己pr 概要
        プロフィール""",
    "work": """work workexperience experience experiences professionalexperience employment
        employmenthistory workhistory career careerhistory relevantexperience positions
        professionalbackground jobs berufserfahrung erfahrung berufspraxis beruflicherwerdegang
        werdegang arbeitserfahrung berufstätigkeit beschäftigung experiencia experiencialaboral
        experienciaprofesional trayectoria trayectoriaprofesional historiallaboral empleo
        expérience expériences expérienceprofessionnelle expériencesprofessionnelles
        parcoursprofessionnel parcours emplois experiência experiências experiênciaprofissional
        históricoprofissional esperienza esperienze esperienzaprofessionale esperienzelavorative
        esperienzalavorativa werkervaring ervaring loopbaan arbeidsverleden doświadczenie
        doświadczeniezawodowe historiazatrudnienia опытработы опыт трудоваядеятельность
        工作经历 工作经验 工作 职业经历 实习经历 经历 職歴 職務経歴 経歴 実務経験""",
    "education": """education educationandtraining academicbackground academics qualifications
        academicqualifications studies training schooling ausbildung bildung bildungsweg
        schulbildung studium akademischerwerdegang educación formación formaciónacadémica
        estudios formation formations éducation parcoursacadémique études diplômes
        formaçãoacadêmica formação educação escolaridade istruzione formazione
        istruzioneeformazione percorsodistudi opleiding opleidingen onderwijs wykształcenie
        edukacja образование 教育 教育经历 教育背景 学历 学習歴 学歴""",
    "skills": """skills skill technicalskills keyskills coreskills competencies corecompetencies
        softskills expertise technologies technicalexpertise toolsandtechnologies techstack
        professionalskills abilities kenntnisse fähigkeiten fertigkeiten kompetenzen
        fachkenntnisse itkenntnisse technischekenntnisse skillsundkompetenzen habilidades
        competencias conocimientos aptitudes habilidadestécnicas compétences competences
        compétencestechniques savoirfaire connaissances competências habilidadestécnicas
        conhecimentos competenze abilità capacità conoscenze vaardigheden competenties
        kennis umiejętności kompetencje навыки умения ключевыенавыки технологии 技能
        专业技能 技能特长 技术栈 スキル 技術 資格・スキル""",
    "languages": """languages language languageskills sprachen sprachkenntnisse idiomas idioma
        lenguas langues languesétrangères línguas idiomas lingue conoscenzelinguistiche talen
        talenkennis języki językiobce языки знаниеязыков 语言 语言能力 外语 言語 語学""",
    "projects": """projects project personalprojects sideprojects selectedprojects projekte
        proyectos projets projetos progetti projecten projekty проекты 项目 项目经历
        项目经验 プロジェクト projectsexperience""",
    "volunteer": """volunteer volunteering volunteerexperience volunteerwork ehrenamt
        ehrenamtlichetätigkeit ehrenamtlichesengagement voluntariado bénévolat volontariat
        expériencesassociatives expérienceassociative vieassociative engagementassociatif
        voluntariado volontariato vrijwilligerswerk wolontariat волонтерство
        волонтёрство 志愿者 志愿服务 志愿者经历 ボランティア""",
    "awards": """awards honors honours awardsandhonors achievements auszeichnungen preise
        premios reconocimientos distinctions prix prêmios premi riconoscimenti prijzen
        nagrody награды 奖项 荣誉 获奖 获奖经历 受賞歴 表彰""",
    "certificates": """certificates certifications certification licenses
        licensesandcertifications zertifikate zertifizierungen certificados certificaciones
        certificats certifications certificações certificazioni certificaten
        certyfikaty сертификаты 证书 资格证书 認定 資格""",
    "publications": """publications papers veröffentlichungen publikationen publicaciones
        publicações pubblicazioni publicaties publikacje публикации 论文 出版物 論文""",
    "interests": """interests hobbies hobbiesandinterests interessen freizeit intereses
        aficiones centresdintérêt centresdintérêts intérêts loisirs interesses passatempos interessi
        hobby interesses zainteresowania интересы хобби 兴趣 兴趣爱好 爱好 趣味""",
    "references": """references referenzen empfehlungen referencias références referências
        referenze referenties referencje рекомендации 推荐 推荐人 推薦""",
    "profiles": """profiles socialprofiles links onlineprofiles social socialmedia
        netzwerke redes redessociales réseaux liens""",
}


def _unaccented(word: str) -> str:
    """`word` without its accents when it is in Latin letters ("expériences" ->
    "experiences"; headings in capitals often drop them), else `word`."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return bare if bare.isascii() else word


HEADINGS: dict[str, str] = {}
for _section, _words in _HEADINGS.items():
    for _w in _words.split():
        HEADINGS.setdefault(squash(_w), _section)
for _key, _section in list(HEADINGS.items()):
    HEADINGS.setdefault(_unaccented(_key), _section)
# Words that may open a line and continue with content ("Work Senior Engineer").
_PREFIXES = sorted(
    (w for w in HEADINGS if w.isascii() and w.isalpha() or not w.isascii()),
    key=len,
    reverse=True,
)


def heading(line: str) -> tuple[str, str] | None:
    """(section, rest of the line) when `line` is, or starts with, a heading."""
    if len(line) > 60:
        return _prefixed(line)
    key = squash(line.rstrip(":："))
    if key in HEADINGS and not line.endswith("."):
        return HEADINGS[key], ""
    return _qualified(line) or _prefixed(line)


# Words that qualify a heading's word without changing its section
# ("Personal Summary", "Skills & Proficiency", "Areas of Expertise") and the
# words that join two headings ("Volunteer Work": the first one says which).
_QUALIFIERS = frozenset(
    (
        *("personal", "professional", "key", "core", "technical", "relevant", "selected"),
        *("other", "additional", "academic", "my", "areas", "area", "of"),
        *("proficiency", "proficiencies", "information", "details"),
        *("&", "and", "/", "+", "y", "e", "et", "und", "i", "en"),
    )
)
_HEADING_WORD = re.compile(r"[^\W\d_]+|[&/+]")


def _qualified(line: str) -> tuple[str, str] | None:
    """A heading of two to four words: heading words and words that only
    qualify one ("PERSONAL SUMMARY", "Skills & Proficiency"), or a heading
    word before "work" or "experience" ("Volunteer Work"); the first heading
    word names the section. A word of anything else ("Project Manager",
    "Education Consultant") makes it no heading."""
    text = line.strip().rstrip(":：")
    if len(text) > 40 or text.endswith((".", ",")) or any(c.isdigit() for c in text):
        return None
    words = _HEADING_WORD.findall(text)
    if not 2 <= len(words) <= 4 or len("".join(words)) < len(squash(text)):
        return None  # a word of other signs ("C++ & Go") is no heading's
    found = []
    for w in words:
        sec = HEADINGS.get(squash(w))
        if sec is None and w.casefold() not in _QUALIFIERS:
            return None
        if sec is not None:
            found.append(sec)
    if not found or any(sec not in (found[0], "work") for sec in found[1:]):
        return None  # "Profil langues": two headings' words, neither qualifies the other
    if found[0] == "languages":
        return None  # "Additional Languages", "Other Languages": a group of skills
    return found[0], ""


def capitals_before_text(first: str, rest: str) -> bool:
    """A heading's word in capitals before text that is not ("SKILLS  Go,
    Rust, ...", "SUMMARY  Engineer with ten years..."): a heading printed
    beside its text, whatever the text is."""
    return first.isupper() and len(first) > 1 and not rest.isupper() and not rest[:1].islower()


def _prefixed(line: str) -> tuple[str, str] | None:
    """A one-word heading followed by the first line of its content, as some
    themes print them side by side ("Education Northfield University")."""
    first, _, rest = line.partition(" ")
    rest = rest.strip()
    if not rest:
        return None
    key = squash(first)
    section = HEADINGS.get(key)
    if section is None or section in ("summary",) and key in ("background", "bio"):
        return None
    if not first[0].isupper() and first.isascii():
        return None
    if capitals_before_text(first, rest):
        return section, rest  # whatever the text is
    # Else the rest must look like a title, not a sentence continuing the word.
    if rest[0].islower() or len(rest) > 80 or rest.endswith("."):
        return None
    return section, rest
