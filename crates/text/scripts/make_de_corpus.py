#!/usr/bin/env python3
"""Generate amends' German labelled feedback corpus (de-feedback.tsv).

Every template and every word list below was written by hand for amends
(Apache-2.0, like the rest of the project); nothing is taken from any data
set. The generator fills the templates with domain vocabulary (transport,
parcel delivery, telecom, banking, retail, software) and adds the surface
noise of social-media posts (@handles, links, hashtags, emoji, missing
punctuation, lower case). Deterministic: the same script writes the same
file.

    python3 crates/text/scripts/make_de_corpus.py > crates/text/resources/amends/de-feedback.tsv

Class shares are a design decision, not fitted to any evaluation data: most
public posts that name a company are not opinions about it (questions,
announcements, news, ads), complaints are the next largest group, praise is
rarer.
"""

import csv
import pathlib
import random
import sys

rng = random.Random(20261202)

# The domain vocabulary (DOMAINS) lives in de_corpus_vocabulary.py beside this file.
from de_corpus_vocabulary import DOMAINS  # noqa: E402


CITIES = ["Berlin", "Hamburg", "Köln", "Stuttgart", "Düsseldorf", "Leipzig", "Bremen", "Münster", "Augsburg", "Rostock", "Freiburg"]
THINGS_PL = ["Jacken", "Fernseher", "Sofas", "Schuhe", "Laptops", "Lampen"]
DATES = ["am 1. März", "am 15. Juni", "ab Oktober", "am Montag", "nächste Woche", "Anfang Mai", "zum Jahreswechsel", "ab Dezember", "im Sommer"]
URLS = ["https://t.co/x8Kq2", "https://t.co/Hr71a", "http://bit.ly/3kQz", "https://www.example.de/info", "https://t.co/aZ90p", "www.service-info.de/neu"]
TAGS_NEG = ["#fail", "#ärgerlich", "#nervt", "#warumimmerich", "#verspätung", "#kundenservice"]
TAGS_NEU = ["#news", "#info", "#verkehr", "#fahrplan", "#service", "#wirtschaft", "#angebot"]
TAGS_POS = ["#danke", "#zufrieden", "#toplaune", "#lob"]
EMO_NEG = ["😡", "🙄", "😤", "🤬", "😠", ":(", "-.-"]
EMO_POS = ["🙂", "😊", "👍", "❤️", ":)", "🙏"]
EMO_NEU = ["🚆", "📦", "📱", "ℹ️", ""]


def pick(xs):
    return rng.choice(xs)


def fill(tmpl, d):
    out = tmpl
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        key = out[start + 1:end]
        if key == "n":
            val = str(pick([2, 3, 4, 5, 7, 10, 12, 15, 20, 25, 30, 40, 45, 50, 60, 90, 120]))
        elif key in ("hour", "hour2"):
            val = str(pick([6, 7, 8, 9, 10, 12, 14, 16, 17, 18, 19, 20, 22]))
        elif key == "date":
            val = pick(DATES)
        elif key == "city":
            val = pick(CITIES)
        elif key == "things":
            val = pick(THINGS_PL)
        elif key == "place2":
            val = pick(d["place"])
        elif key == "url":
            val = pick(URLS)
        else:
            val = pick(d[key])
        out = out[:start] + val + out[end + 1:]
    return cap(out)


def cap(s):
    return s[:1].upper() + s[1:] if s else s


# --- plain verdicts: an aspect of the service and a strong judgement --------
# (the hand-written hard cases use such words about football and dinner, so
# the corpus must also have them about a service). "Die Lieferung" is left
# out on purpose: the unit tests check "Die Lieferung war eine Katastrophe!".
VERDICT_ASPECTS = [
    "der Service", "die Beratung", "der Kundenservice", "die Hotline", "die Reparatur", "die App",
    "die Abrechnung", "die Fahrt", "die Bearbeitung meiner Reklamation", "das Essen", "die Installation",
    "der Umzug meines Anschlusses", "die Zustellung", "der Kontakt mit Ihrem Support", "die Rückerstattung",
    "das Zimmer", "die Kommunikation", "der Anschluss", "die Montage", "die Website",
]
NEG_VERDICTS = [
    "war eine Katastrophe", "ist eine Zumutung", "war unter aller Kanone", "war miserabel",
    "war einfach schrecklich", "ist ein schlechter Witz", "war eine Frechheit", "war grottenschlecht",
    "war furchtbar", "war eine einzige Enttäuschung", "ist absolut unterirdisch", "war der reinste Horror",
    "war ein Albtraum", "war mangelhaft", "war peinlich", "war katastrophal", "ist eine Katastrophe",
    "war das Letzte", "war eine Vollkatastrophe", "war unzumutbar",
]
POS_VERDICTS = [
    "war hervorragend", "war erstklassig", "war ein Traum", "war spitze", "war einwandfrei",
    "war vorbildlich", "war top", "war wunderbar", "war super", "war ausgezeichnet", "ist klasse",
    "war großartig",
]
VERDICT_FORMS = ["{a} {v}.", "{a} {v}!", "Ehrlich gesagt: {a_lc} {v}.", "{a} {v}, das muss ich mal sagen.", "Fazit: {a_lc} {v}."]


def verdicts(verdict_list, count):
    out = []
    while len(out) < count:
        aspect = pick(VERDICT_ASPECTS)
        text = pick(VERDICT_FORMS).format(a=cap(aspect), a_lc=aspect, v=pick(verdict_list))
        if text not in out:
            out.append(text)
    return out


# --- negative templates (complaints, sarcasm) -----------------------------
NEG = [
    "{neg}. {closer}",
    "{neg}. Danke für nichts, {brand}.",
    "{handle} {neg}. Was ist da los?",
    "{handle} {neg}!!",
    "{neg}. Unglaublich.",
    "{neg}, und keiner entschuldigt sich.",
    "Schon wieder: {neg}.",
    "Wie jeden Tag: {neg}.",
    "Jeden verdammten Tag das gleiche. {neg}.",
    "Na toll, {neg}.",
    "Super gemacht, {brand}: {neg}. Applaus.",
    "Danke {brand}, dass ihr mir den Tag ruiniert. {neg}.",
    "Großartig, {neg}. Genau das, was ich heute brauche.",
    "Läuft bei {brand}... {neg}.",
    "{neg}. Ich bin so sauer.",
    "{neg}. Mir reicht es langsam.",
    "{neg}. Das ist einfach nur noch peinlich.",
    "{neg}. Service ist bei euch ein Fremdwort.",
    "{neg} und die Hotline ist nicht erreichbar.",
    "{neg}. Ich zahle doch nicht für so einen Mist.",
    "Seit Wochen das gleiche Theater mit {brand}. {neg}.",
    "Ich habe die Nase voll von {brand}.",
    "{brand_cap} ist echt das Letzte.",
    "Nie wieder {brand}. {neg}.",
    "Wieso schafft {brand} es nicht, {fix}?",
    "Warum ist es so schwer, {fix}?",
    "Ist es zu viel verlangt, {fix}?",
    "Ich frage mich, warum ich für {brand} überhaupt noch bezahle. {neg}.",
    "Kann mir mal jemand erklären, warum {neg_lc}?",
    "Wer ist bei {brand} eigentlich für diesen Murks zuständig?",
    "{staff_cap} war heute unglaublich unfreundlich.",
    "{staff_cap} hat mich angeschnauzt, nur weil ich eine Frage hatte.",
    "{staff_cap} war total genervt und hat überhaupt nicht geholfen.",
    "{issue} zum dritten Mal diese Woche.",
    "{issue}. Mal wieder.",
    "{issue} und keine einzige Information.",
    "Heute wieder {issue}. Ich komme zu spät zur Arbeit.",
    "{issue}, {neg_lc}. Was für ein Saftladen.",
    "Mit {brand} ist man echt verloren.",
    "Ich warte seit {n} Tagen auf eine Antwort von {brand}.",
    "Kundenservice von {brand}? Fehlanzeige.",
    "{brand_cap} und Zuverlässigkeit, ein Widerspruch in sich.",
    "Bei {brand} läuft echt gar nichts.",
    "Wirklich schwach, {brand}.",
    "{neg}. Einfach nur enttäuschend.",
    "{neg}. Ich überlege zu wechseln.",
    "{neg} {emoneg}",
    "{neg} {tagneg}",
    "Was für ein Chaos heute. {neg}.",
    "Toller Service mal wieder: {neg_lc}.",
    "Hauptsache die Preise steigen jedes Jahr. {neg}.",
    "Und dafür zahlt man so viel Geld. {neg}.",
    "Das kann doch nicht wahr sein. {neg}.",
    "Ohne Worte. {neg}.",
    "{neg}. Wie immer eigentlich.",
    "Es nervt einfach nur. {neg}.",
    "Ich hab echt keine Lust mehr auf {brand}.",
    "Selten so einen schlechten Service erlebt.",
    "Kein Wunder, dass alle über {brand} schimpfen.",
    "{neg} – und das nicht zum ersten Mal.",
    "Sitze seit {n} Minuten fest und nichts passiert.",
    "Und wieder warten. Immer dieses Warten.",
    "Hätte ich mal das Auto genommen.",
    "Das war meine letzte Bestellung bei {brand}.",
    "{brand} bekommt es einfach nicht hin.",
    "Typisch {brand}.",
    "Warten, warten, warten. Danke {brand}.",
    "Ich wollte doch nur pünktlich ankommen.",
    "Wie kann man so schlecht planen?",
    "Wieso steht in der App alles in Ordnung, wenn gar nichts geht?",
    "Keine Information, keine Entschuldigung, nichts.",
    "Dass man für so etwas noch Geld verlangt.",
    "Wer plant sowas eigentlich bei {brand}?",
    "Ich bin echt bedient.",
    "Ich komme schon wieder zu spät, weil {neg_lc}.",
    "Drei Anrufe, drei verschiedene Auskünfte.",
    "Zum Glück habe ich ja sonst nichts zu tun. {neg}.",
    "Kann man sich bei {brand} auf irgendwas verlassen?",
]
CLOSERS = ["Echt jetzt?", "Unfassbar.", "Danke für nichts.", "Wie immer.", "Ich könnte schreien.", "Was soll das?", "Frechheit.", "Unzumutbar.", "Herzlichen Glückwunsch.", "Läuft.", "Wahnsinn."]
FIXES = {
    "bahn": ["einmal pünktlich zu sein", "die Leute über Ausfälle zu informieren", "einen Zug fahren zu lassen, der nicht voll ist", "die Anzeigen richtig zu machen"],
    "paket": ["ein Paket einfach mal zuzustellen", "einmal zu klingeln", "eine Sendung nicht zu verlieren"],
    "telko": ["eine stabile Leitung hinzubekommen", "einen Techniker pünktlich zu schicken", "eine korrekte Rechnung zu schreiben"],
    "bank": ["eine Überweisung rechtzeitig auszuführen", "auf eine Beschwerde zu antworten", "eine App zu bauen, die funktioniert"],
    "handel": ["die richtige Ware zu schicken", "eine Rücksendung zu erstatten", "genug Personal an die Kasse zu stellen"],
    "software": ["ein Update ohne neue Fehler zu liefern", "den Login stabil zu halten", "auf Support-Anfragen zu antworten"],
}

# --- neutral templates -----------------------------------------------------
NEU = [
    "{info}.",
    "{info}. {url}",
    "{info} {url}",
    "{info}. {tagneu}",
    "{handle} {question}",
    "{question}",
    "Hallo {brand}, {question_lc}",
    "Hallo, {question_lc} Danke im Voraus.",
    "Frage an {handle}: {question_lc}",
    "{question} Weiß das jemand?",
    "Kurze Frage: {question_lc}",
    "Guten Morgen, {question_lc}",
    "{thing_cap} ist heute bei mir angekommen.",
    "Ich bin heute mit {brand} unterwegs nach {city}.",
    "Sitze gerade in {brand_thing} und lese ein Buch.",
    "Morgen geht es mit {brand_thing} nach {city}.",
    "Heute Abend fahre ich mit der Bahn zu meinen Eltern.",
    "Habe gerade {what} bei {brand} angefragt.",
    "Ich habe {what} geändert, mal sehen.",
    "Ich bin seit {n} Jahren Kunde bei {brand}.",
    "Bin gespannt, wie {brand} das Thema löst.",
    "Wer kommt morgen auch mit {brand} zur Messe nach {city}?",
    "Treffen uns um {hour} Uhr am Bahnhof.",
    "{brand_cap}: {info_lc}. {url}",
    "Pressemitteilung: {info}.",
    "Laut Bericht: {info_lc}.",
    "Eilmeldung: {info_lc}.",
    "Aktuell: {info_lc}.",
    "Hinweis: {info_lc}.",
    "Information für Fahrgäste und Kunden: {info_lc}.",
    "{info}, teilte das Unternehmen {date} mit.",
    "Wie das Unternehmen mitteilte, {info_lc}.",
    "Jetzt neu bei {brand}: {info_lc}. {tagneu}",
    "Angebot der Woche bei {brand}: {n} Prozent Rabatt. {url}",
    "Gewinnspiel: Mit etwas Glück gewinnt ihr {what_plain}. {url}",
    "Wir suchen Verstärkung! Jetzt bei {brand} bewerben. {url}",
    "{brand_cap} auf der Messe in {city}: Besucht uns in Halle {n}.",
    "Der Streit um die Tarife bei {brand} geht weiter. {url}",
    "Gewerkschaft und {brand} verhandeln {date} weiter.",
    "Die Verhandlungen zwischen {brand} und der Gewerkschaft wurden vertagt.",
    "Der Aufsichtsrat von {brand} tagt {date}.",
    "Der neue Chef von {brand} stellt sich {date} vor.",
    "Umfrage: Wie oft nutzt ihr {brand}?",
    "Die Zahl der Kunden von {brand} ist um {n} Prozent gestiegen.",
    "Im Podcast sprechen wir heute über {brand}. {url}",
    "Mein Bruder arbeitet seit {n} Jahren bei {brand}.",
    "Was haltet ihr von {brand}?",
    "Vergleich: {brand} oder die Konkurrenz?",
    "Ich warte auf den Rückruf von {brand}.",
    "{what_cap} ist beantragt.",
    "Danke für die Info, dann probiere ich es morgen nochmal.",
    "Danke für die Antwort, ich melde mich per Mail.",
    "Vielen Dank für die Rückmeldung, ich schicke euch die Nummer per DM.",
    "Okay, dann warte ich ab.",
    "Alles klar, ich schreibe euch eine Nachricht.",
    "Ich habe euch eine Direktnachricht geschickt.",
    "Hallo, ich habe gestern eine Mail geschickt, Vorgangsnummer {n}{n}{n}.",
    "Guten Tag, ich möchte meine Adresse ändern.",
    "Ich möchte {what} ändern lassen.",
    "Bitte um Rückruf wegen {what}.",
    "Schönen Tag noch und liebe Grüße an das Team.",
    "Guten Morgen zusammen, schönes Wochenende!",
    "Schönes Wetter heute, ich fahre an den See.",
    "Endlich Urlaub! Morgen geht es nach {city}.",
    "Das Konzert gestern in {city} war der Wahnsinn.",
    "Mein Hund hasst Gewitter.",
    "Schade, dass die Ferien schon vorbei sind.",
    "Der Film gestern war so schlecht, dass wir gegangen sind.",
    "Was für ein geiles Fußballspiel gestern!",
    "Ich hasse Montage.",
    "Die Suppe in der Kantine war heute super lecker.",
    "Mein Kaffee ist kalt geworden, weil ich telefoniert habe.",
    "Der Stau auf der A7 ist heute wieder endlos.",
    "Unser Team hat das Spiel leider verloren.",
    "Oh nein, mein Lieblingscafé schließt.",
    "Wir haben die Wohnung in {city} bekommen, ich freue mich so!",
    "Die Politik streitet schon wieder über den Haushalt.",
    "Im Radio läuft mein Lieblingslied.",
    "Ich lese gerade ein spannendes Buch über Geschichte.",
    "Gestern Abend haben wir gegrillt.",
    "{info}. {emoneu}",
    "RT {handle}: {info}.",
    "{handle} {handle2} Ja, genau so.",
    "{handle} Ich schicke dir den Link.",
    "{handle} Wann genau?",
    "{handle} Steht auch auf der Webseite.",
    "Aktuelle Lage: {issue} bei {brand}, Informationen unter {url}",
    "Streik bei {brand}: {date} fallen viele Verbindungen und Termine aus. {url}",
    "{brand} informiert: Wegen Wartungsarbeiten kann es {date} zu Einschränkungen kommen.",
    "Verbraucherschützer prüfen die neuen Preise von {brand}. {url}",
    "Studie: {n} Prozent der Kunden nutzen {brand} mehrmals pro Woche.",
    "{brand} und {brand2} arbeiten künftig zusammen.",
    "{brand} veröffentlicht heute die Zahlen für das Quartal.",
    "Bericht über {issue} bei {brand} im Regionalfernsehen. {url}",
    "Die Diskussion über {brand} im Stadtrat wurde vertagt.",
    "Ich habe {brand} eine Mail wegen {what} geschrieben und warte auf Antwort.",
    "Kann mir jemand sagen, ob {brand} heute normal erreichbar ist?",
    "Hat jemand Erfahrung mit {brand}?",
    "Hat {brand} eigentlich eine Hotline am Wochenende?",
    "Weiß jemand, ob {brand} auch {what} anbietet?",
    "Neuer Beitrag im Blog: Zehn Tipps für {what}. {url}",
    "Heute im Test: {brand} gegen die Konkurrenz. {url}",
    "{handle} Danke, habe ich gemacht.",
    "{handle} Die Nummer ist {n}{n}{n}{n}.",
    "{handle} Ich schaue morgen nochmal nach.",
    "Ich sitze im Zug und schreibe an meiner Hausarbeit.",
    "Unterwegs nach {city}, das Wetter ist grau.",
    "Mein Paket ist unterwegs, Zustellung morgen.",
    "Heute Homeoffice, morgen wieder ins Büro.",
    "Ich habe mir einen neuen Laptop bestellt.",
    "Morgen habe ich einen Termin bei der Bank.",
    "Die Fahrt nach {city} dauert etwa drei Stunden.",
]

# --- positive templates ----------------------------------------------------
POS = [
    "{pos}. Danke, {brand}!",
    "{pos}. Vielen Dank!",
    "{handle} {pos}. Danke!",
    "{pos}! {emopos}",
    "{pos}. {tagpos}",
    "Großes Lob an {brand}: {pos_lc}.",
    "Ein dickes Lob an {staff}!",
    "Danke an {staff}, {pos_lc}.",
    "Vielen Dank an {staff} für die tolle Hilfe.",
    "Heute mal ein Lob: {pos_lc}.",
    "Muss auch mal gesagt werden: {pos_lc}.",
    "Ich bin wirklich zufrieden mit {brand}.",
    "Bin positiv überrascht von {brand}. {pos}.",
    "Super Beratung, vielen Dank für die Geduld!",
    "Top Service bei {brand}, gerne wieder.",
    "{brand_cap} kann ich nur empfehlen.",
    "Absolut empfehlenswert. {pos}.",
    "Klasse, {pos_lc}.",
    "Perfekt gelaufen heute. {pos}.",
    "Wow, {pos_lc}. So muss das sein.",
    "Das nenne ich Service: {pos_lc}.",
    "{pos}. Hätte ich nicht gedacht, aber echt gut.",
    "Endlich mal was, das klappt: {pos_lc}.",
    "Tausend Dank, ihr seid die Besten!",
    "Danke für die schnelle und freundliche Antwort!",
    "Problem gelöst, vielen Dank {handle}!",
    "{handle} Hat geklappt, danke euch! {emopos}",
    "Ich liebe {brand} einfach. {pos}.",
    "{pos}. Macht weiter so!",
    "Bester Kundenservice, den ich je hatte.",
    "Sehr freundliche Beratung und schnelle Lieferung.",
    "Alles bestens, danke!",
    "Heute alles pünktlich und entspannt, so macht das Spaß.",
    "Respekt, {pos_lc}.",
]
POS_NEG_CONTRAST = [
    "Erst hat es gehakt, aber dann {pos_lc}. Danke!",
    "Anfangs war ich skeptisch, aber {pos_lc}.",
]
NEG_CONTRAST = [
    "Die Beratung war freundlich, aber {neg_lc}.",
    "Eigentlich bin ich zufrieden, aber {neg_lc}.",
    "Nett gemeint, aber {neg_lc}.",
]


# --- standalone sentences, written by hand for amends ------------------------
NEG_FREE = """Danke für nichts.
Und täglich grüßt das Murmeltier: wieder Verspätung.
Ich könnte heulen, schon wieder den Termin verpasst.
Seit drei Wochen warte ich auf mein Geld zurück.
Wer hat sich diesen Fahrplan ausgedacht?
Die Hotline legt nach zwanzig Minuten einfach auf.
Mein Router blinkt rot und keiner kann mir sagen, warum.
Die Kündigung wurde bestätigt und trotzdem wird weiter abgebucht.
Der Fahrer ist einfach an der Haltestelle vorbeigefahren.
Im Zug ist es eiskalt, die Heizung geht wieder nicht.
Kein WLAN, kein Bordbistro, kein Sitzplatz. Toll.
Die Ansage kam erst, als der Zug schon weg war.
Eine Stunde Fahrt, zwei Stunden Verspätung.
Bei euch ist jede Woche irgendwas kaputt.
Die Rechnung ist schon wieder falsch.
Ihr habt mir zweimal den vollen Betrag abgebucht.
Das Paket lag im Regen vor der Tür, alles durchnässt.
Seit dem Anbieterwechsel habe ich kein Internet.
Die App zeigt nur noch einen weißen Bildschirm.
Ich habe jetzt fünfmal angerufen und jedes Mal eine andere Antwort bekommen.
Der Kundenservice ist eine reine Beschäftigungstherapie.
Warum muss ich für einen Fehler von euch bezahlen?
So langsam verliere ich die Geduld mit euch.
Das war das letzte Mal, dass ich bei euch bestellt habe.
Mir wurde eine Entschädigung versprochen, gekommen ist nichts.
Kein Mensch fühlt sich zuständig.
Wir stehen hier seit einer halben Stunde im Tunnel.
Anschlusszug weg, Hotel selbst bezahlt, Erstattung abgelehnt.
Der Schaffner hat uns angeschrien, weil der Automat kaputt war.
Die Verkäuferin hat mich keines Blickes gewürdigt.
Ich fühle mich als Kunde komplett verarscht.
Einfach nur noch lächerlich, was ihr da abzieht.
Die Preise steigen, der Service wird schlechter.
Schon wieder Gleiswechsel in letzter Minute.
Wieso ist der Zug jeden Morgen überfüllt?
Mein Paket ist angeblich zugestellt, ich habe es nie gesehen.
Die Zugtoilette war so eklig, dass ich lieber gewartet habe.
Warteschleife, Musik, aufgelegt. Jeden Tag.
Das Ersatzgerät ist genauso defekt wie das erste.
Ich warte seit heute Morgen auf den Techniker.
Die Bestätigungsmail kam nie an und das Geld ist trotzdem weg.
Es ist immer das Gleiche mit euch.
Pünktlich ist bei euch offenbar ein Fremdwort.
Was ist eigentlich so schwer daran, Bescheid zu sagen?
Ich bin stinksauer.
Völlig überforderte Mitarbeiter und keiner weiß Bescheid.
Zum dritten Mal die falsche Ware geliefert.
Der Sitzplatz, den ich reserviert habe, existiert nicht.
Nach dem Update geht gar nichts mehr.
Warum kostet das plötzlich das Doppelte?
Der Zug fährt einfach ohne uns los, obwohl er Verspätung hatte.
Die Durchsage war nicht zu verstehen und jetzt sitze ich im falschen Zug.
Ich habe noch nie so einen schlechten Kundendienst erlebt.
Was für ein Trauerspiel.
Ganz ehrlich, ihr seid eine Zumutung.
Die ganze Familie stand zwei Stunden am Bahnsteig.
Wenn ich das vorher gewusst hätte, wäre ich mit dem Auto gefahren.
Die Beratung war eine einzige Verkaufsshow.
Wie oft soll ich mein Anliegen noch schildern?
Da zahlt man jeden Monat und bekommt nichts dafür.
Ach, wie schön, die Bahn hat mal wieder Verspätung.
Herrlich, wieder mal eine Stunde auf freier Strecke.
Wie schön, dass man sich auf euch immer verlassen kann. Nicht.
Bravo, das Paket ist wieder verschwunden.
Läuft ja super bei euch. Gar nichts geht.
Vielen Dank für die tolle Stunde im kalten Bahnhof.
""".strip().split("\n")

POS_FREE = """Heute alles pünktlich, danke an das Team!
Schnelle Hilfe über den Chat, so muss Kundenservice sein.
Der Schaffner hat sich rührend um eine ältere Dame gekümmert.
Die Erstattung kam ohne Nachfrage, vielen Dank.
Endlich funktioniert das WLAN im Zug, danke!
Sehr nette Beratung im Laden, ich komme gerne wieder.
Das Paket kam einen Tag früher, super!
Danke für die unkomplizierte Lösung!
Ich bin begeistert, wie schnell das ging.
Freundliche Mitarbeiter, saubere Züge, alles gut.
Die neue App ist wirklich gelungen.
Der Techniker war pünktlich und hat alles erklärt, top!
Selten so einen guten Service erlebt.
Vielen Dank für die nette Hilfe am Schalter heute Morgen.
Ihr habt mir den Tag gerettet, danke!
Bin seit Jahren zufrieden und bleibe es auch.
Kompetente Beratung, faire Preise, gerne wieder.
Alles hat reibungslos geklappt, danke schön.
Klasse gemacht, das Problem war in zwei Minuten gelöst.
Die Zugbegleiterin war super freundlich und lustig.
Toller Service, schnelle Lieferung, gut verpackt.
Ich kann euch nur weiterempfehlen.
Das nenne ich mal kundenfreundlich!
Herzlichen Dank für die Kulanz!
Die Fahrt war entspannt und pünktlich, so macht Bahnfahren Spaß.
""".strip().split("\n")

NEU_FREE = """Wie komme ich am besten vom Flughafen in die Innenstadt?
Ich bin gerade in Hamburg angekommen.
Kennt jemand ein gutes Café in der Nähe vom Bahnhof?
Morgen früh fahre ich zur Oma nach Bayern.
Die Zugfahrt dauert vier Stunden, ich habe genug Bücher dabei.
Heute Abend kommt eine Doku über den Bau des Tunnels.
Der Bahnhof wird seit zwei Jahren umgebaut.
Neue Zahlen: Immer mehr Menschen pendeln mit dem Zug zur Arbeit.
Die Regierung will mehr Geld in die Schiene investieren.
Der Verkehrsminister besucht am Dienstag die Baustelle.
Die Gewerkschaft fordert sechs Prozent mehr Lohn.
Ab nächster Woche fahren die Busse nach dem Ferienfahrplan.
Im Winter werden die Weichen beheizt.
Bahnfahren oder fliegen, was ist klimafreundlicher?
Wer fährt am Samstag mit zum Spiel nach Dortmund?
Ich bin im Zug eingeschlafen und habe fast meine Station verpasst.
Meine Schwester arbeitet im Reisezentrum.
Das Ticket habe ich schon gestern gekauft.
Hat jemand noch ein Ladekabel übrig?
Ich fahre lieber mit dem Fahrrad zur Uni.
Die neue Strecke soll in fünf Jahren fertig sein.
In der Stadt gibt es jetzt vier neue Leihrad-Stationen.
Ein Zug ist ein schienengebundenes Fahrzeug.
Mein erster Arbeitstag in der neuen Firma.
Ich suche eine Mitfahrgelegenheit nach Leipzig.
Was kostet ein Ticket für Kinder?
Bis wann fährt die letzte S-Bahn am Wochenende?
Die Modelleisenbahn meines Opas ist riesig.
Wir haben die Hochzeit im Zug gefeiert, das war lustig.
Ich habe mir ein neues Handy gekauft und richte es gerade ein.
Die Banken haben heute wegen des Feiertags geschlossen.
Meine Rente wird ab Juli auf ein neues Konto überwiesen.
Im Supermarkt um die Ecke gibt es jetzt Selbstbedienungskassen.
Das Wetter soll am Wochenende besser werden.
Ich bin gespannt auf das Spiel heute Abend.
Bei uns im Dorf hält nur zweimal am Tag ein Bus.
Der Film über die Geschichte der Eisenbahn läuft im Kino.
Ich habe gestern meine Steuererklärung gemacht.
Die Katze schläft schon den ganzen Tag.
Heute gibt es Nudeln mit Tomatensoße.
Wir ziehen im Frühjahr nach Köln.
Ich brauche ein Geschenk für meinen Vater, Ideen?
Die Ausstellung im Museum läuft noch bis Ende März.
Ein Freund von mir fährt jeden Tag 80 Kilometer zur Arbeit.
Das Buch über die Reise durch Skandinavien ist spannend.
Schlimmer Unfall auf der Autobahn, zum Glück wurde niemand verletzt.
Die Nachrichten heute sind wirklich deprimierend.
Ich habe Angst vor Spinnen.
Unser Urlaub war leider viel zu kurz.
Der Winter ist furchtbar lang dieses Jahr.
Ich freue mich auf das Wochenende.
Wunderschöner Sonnenuntergang am See.
Das beste Eis der Stadt gibt es am Marktplatz.
Der Zug nach Paris fährt jetzt auch über Straßburg.
Ein Sprecher des Unternehmens wollte sich zu den Vorwürfen nicht äußern.
Die Polizei ermittelt nach einem Einbruch im Lager.
Der Prozess gegen den früheren Manager beginnt im Mai.
Die Aktie legte am Vormittag um zwei Prozent zu.
Das Unternehmen beschäftigt weltweit 30.000 Menschen.
Der Konzern plant den Verkauf seiner Tochterfirma.
Die Kommission prüft die Fusion der beiden Anbieter.
Vorsicht, auf dem Bahnsteig ist es heute glatt.
Bitte beachten Sie die geänderten Abfahrtszeiten.
Fahrgäste werden gebeten, auf die Ansagen zu achten.
Dieser Zug endet heute in Hannover.
Die Tickets für das Festival gibt es ab Freitag.
Wir verlosen zwei Freifahrten nach Berlin.
Jetzt im Angebot: Sparpreise ab 19 Euro.
Melde dich jetzt für unseren Newsletter an.
Unsere Filiale hat am Samstag bis 14 Uhr geöffnet.
Wir stellen ein: Kundenberater in Vollzeit.
Unser neuer Kundenbereich ist online.
Das Servicecenter ist unter der bekannten Nummer erreichbar.
Vielen Dank für Ihre Nachricht, wir melden uns in Kürze.
Ihre Anfrage ist bei uns eingegangen.
Bitte senden Sie uns Ihre Kundennummer per Direktnachricht.
Danke für deine Geduld, wir prüfen das.
Das tut uns leid, bitte schreib uns eine DM mit deiner Buchungsnummer.
Wir haben deine Nachricht an die Fachabteilung weitergeleitet.
Hallo, hier ist das Social-Media-Team, wie können wir helfen?
Guten Abend, wir sind bis 22 Uhr für euch da.
Das ist leider nicht möglich, aber du kannst online umbuchen.
Ja, das Ticket gilt auch für den Nahverkehr.
Nein, eine Reservierung ist nicht nötig.
Die Fahrkarte gilt am Tag der Fahrt.
Gute Frage, ich weiß es auch nicht.
Ich schaue mal nach und melde mich.
Okay, danke.
Alles klar, dann bis morgen.
Bin gleich da.
""".strip().split("\n")


LOWER_FIRST = {"der", "die", "das", "ein", "eine", "mein", "meine", "ich", "wir", "es", "seit", "nach", "auf", "an", "am",
               "alle", "jede", "statt", "trotz", "wegen", "zwischen", "genau", "plötzlich",
               "für", "umgekehrte", "wieder", "kann", "muss", "wie", "wo", "gilt", "fährt", "hat",
               "gibt", "liefert", "bis", "welcher", "wann", "ist", "habt", "läuft", "neue", "nur"}


def lc(s):
    """Lower-case the first word when it is not a name (so it can follow a colon)."""
    first = s.split(" ", 1)[0].lower()
    return s[:1].lower() + s[1:] if first in LOWER_FIRST else s


def noise(text, label):
    r = rng.random()
    if r < 0.15:
        text = text.lower()
    elif r < 0.25:
        text = text.rstrip(".!")
    if rng.random() < 0.08:
        text = text + " " + pick(URLS)
    return text


def render(tmpl, dname, label):
    d = DOMAINS[dname]
    neg = cap(fill(pick(d["neg_fact"]), d))
    pos = cap(fill(pick(d["pos_fact"]), d))
    info = fill(pick(d["info"]), d)
    question = fill(pick(d["question"]), d)
    brand = pick(d["brand"])
    slots = {
        "neg": neg,
        "neg_lc": lc(neg),
        "pos": pos,
        "pos_lc": lc(pos),
        "info": info,
        "info_lc": lc(info),
        "question": question,
        "question_lc": lc(question),
        "closer": pick(CLOSERS),
        "fix": pick(FIXES[dname]),
        "brand": brand,
        "brand_cap": cap(brand),
        "brand_thing": pick(d["thing"]),
        "handle": pick(d["handle"]),
        "handle2": pick(d["handle"]),
        "brand2": pick(DOMAINS[pick(sorted(DOMAINS))]["brand"]),
        "staff": pick(d["staff"]),
        "staff_cap": cap(pick(d["staff"])),
        "issue": pick(d["issue"]),
        "thing_cap": cap(pick(d["thing"])),
        "what": pick(d["what"]),
        "what_cap": cap(pick(d["what"])),
        "what_plain": "einen Gutschein über 50 Euro",
        "city": pick(CITIES),
        "url": pick(URLS),
        "tagneg": pick(TAGS_NEG),
        "tagneu": pick(TAGS_NEU),
        "tagpos": pick(TAGS_POS),
        "emoneg": pick(EMO_NEG),
        "emopos": pick(EMO_POS),
        "emoneu": pick(EMO_NEU),
        "n": str(pick([2, 3, 5, 8, 10, 14, 20, 30, 45])),
        "hour": str(pick([6, 7, 8, 9, 14, 17, 18, 20])),
        "date": pick(DATES),
    }
    out = tmpl
    for k, v in slots.items():
        out = out.replace("{" + k + "}", v)
    out = out.replace("..", ".").replace("?.", "?").replace("!.", "!").replace(" .", ".").strip()
    return noise(out, label)


OPENINGS = ["Sehr geehrte Damen und Herren,", "Hallo,", "Guten Tag,", "Liebes Team,", "Hallo zusammen,", ""]
NEG_DEMANDS = [
    "Ich erwarte eine Erstattung und eine Erklärung.",
    "Ich bin sehr enttäuscht und erwarte eine schnelle Lösung.",
    "So geht das nicht weiter, ich verlange eine Entschädigung.",
    "Bitte kümmern Sie sich endlich darum, ich habe genug gewartet.",
    "Wenn sich nichts ändert, bin ich weg.",
    "Das ist für mich völlig inakzeptabel.",
    "Ich habe schon mehrfach geschrieben und nie eine Antwort bekommen.",
]
NEG_LINKS = ["Dazu kommt:", "Außerdem:", "Und als wäre das nicht genug:", "Obendrein:", "Und dann auch noch:", "Zu allem Überfluss:"]
POS_CLOSINGS = [
    "Vielen Dank dafür, ich bin rundum zufrieden.",
    "Dafür möchte ich mich herzlich bedanken.",
    "So wünscht man sich das, weiter so!",
    "Ich empfehle Sie gerne weiter.",
]
NEU_CLOSINGS = ["Vielen Dank und freundliche Grüße", "Mit freundlichen Grüßen", "Danke im Voraus.", "Viele Grüße", ""]
NEU_REQUESTS = [
    "ich möchte {what} ändern lassen.",
    "ich habe eine Frage zu {what}.",
    "bitte schicken Sie mir eine Bestätigung für {what}.",
    "meine Kundennummer ist {n}{n}{n}, bitte prüfen Sie {what}.",
    "ich ziehe um und brauche eine neue Adresse für {what}.",
]
NEWS_ENDS = [
    "Das teilte ein Sprecher am Dienstag mit.",
    "Weitere Einzelheiten sollen in den nächsten Wochen folgen.",
    "Kritiker bezweifeln, dass der Zeitplan zu halten ist.",
    "Die Entscheidung soll bis Ende des Jahres fallen.",
    "Einzelheiten nannte das Unternehmen nicht.",
]


def long_text(label, dname):
    d = DOMAINS[dname]
    if label == "negative":
        facts = rng.sample(d["neg_fact"], 2)
        parts = [cap(fill(facts[0], d)) + ".", pick(NEG_LINKS) + " " + lc(fill(facts[1], d)) + ".", pick(NEG_DEMANDS)]
    elif label == "positive":
        facts = rng.sample(d["pos_fact"], 2)
        parts = [cap(fill(facts[0], d)) + ".", "Und: " + lc(fill(facts[1], d)) + ".", pick(POS_CLOSINGS)]
    elif rng.random() < 0.5:
        infos = rng.sample(d["info"], 2)
        parts = [fill(infos[0], d) + ".", fill(infos[1], d) + ".", pick(NEWS_ENDS)]
    else:
        parts = [cap(fill(pick(NEU_REQUESTS), d)), fill(pick(d["question"]), d), pick(NEU_CLOSINGS)]
    if label != "neutral" or parts[-1] in NEU_CLOSINGS:
        opening = pick(OPENINGS)
        if opening:
            parts = [opening, lc(parts[0])] + parts[1:]
    return " ".join(p for p in parts if p).replace("..", ".").strip()


def main():
    rows = set()
    plan = [("negative", NEG + NEG_CONTRAST, 1100), ("neutral", NEU, 1650), ("positive", POS + POS_NEG_CONTRAST, 450)]
    out = []

    def add(text, label):
        """Adds a row unless its text is already in; says whether it did."""
        if text in rows:
            return False
        rows.add(text)
        out.append((text, label))
        return True

    for label, templates, count in plan:
        made = 0
        tries = 0
        while made < count and tries < count * 50:
            tries += 1
            tmpl = templates[tries % len(templates)]
            dname = pick(sorted(DOMAINS))
            text = render(tmpl, dname, label)
            if "{" not in text and add(text, label):
                made += 1
    # Longer texts (e-mails, letters, articles): several sentences of one
    # class between an opening and a closing.
    for label, count in [("negative", 260), ("neutral", 320), ("positive", 110)]:
        made = 0
        while made < count:
            dname = pick(sorted(DOMAINS))
            if add(long_text(label, dname), label):
                made += 1
    # Each hand-written standalone sentence as written and in a few
    # social-media variants.
    all_handles = [h for d in DOMAINS.values() for h in d["handle"]]
    for label, sentences, variants, tags, emos in [
        ("negative", NEG_FREE, 3, TAGS_NEG, EMO_NEG),
        ("positive", POS_FREE, 4, TAGS_POS, EMO_POS),
        ("neutral", NEU_FREE, 3, TAGS_NEU, EMO_NEU),
    ]:
        for sentence in sentences:
            forms = [
                sentence,
                pick(all_handles) + " " + sentence,
                sentence + " " + pick(emos),
                sentence + " " + pick(tags),
                sentence.lower(),
                sentence.rstrip(".!") + " " + pick(URLS),
            ]
            chosen = [forms[0]] + rng.sample(forms[1:], variants - 1)
            for text in chosen:
                add(text.strip(), label)
    for label, verdict_list, count in [("negative", NEG_VERDICTS, 160), ("positive", POS_VERDICTS, 80)]:
        for text in verdicts(verdict_list, count):
            add(text, label)
    # Texts written one by one for amends (de-written.tsv: transport, retail
    # and parcels, hard cases such as sarcasm, news and praise in
    # understatement), each as written. The de-test*.tsv files, written by
    # three other authors, are kept out: they are the held-out test sets.
    written = pathlib.Path(__file__).resolve().parent.parent / "resources" / "amends" / "de-written.tsv"
    with written.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            add(row["text"], row["sentiment"])
    rng.shuffle(out)
    w = sys.stdout
    w.write("text\tsentiment\tlanguage\n")
    for text, label in out:
        w.write(f"{text}\t{label}\tde\n")


if __name__ == "__main__":
    main()
