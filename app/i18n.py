"""The app's words in English and French, and the language of a request.

One table keyed by message id: the portal's pages, and the sentences of explanations
(`reason.*`, worded from reason codes and figures by app/allocations/explanations.py for
the API and the portal alike).
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "app.title": {"en": "flexben portal", "fr": "Portail flexben"},
    "nav.skip": {"en": "Skip to content", "fr": "Aller au contenu"},
    "nav.home": {"en": "Home", "fr": "Accueil"},
    "nav.periods": {"en": "Periods", "fr": "Périodes"},
    "nav.audit": {"en": "Audit log", "fr": "Journal d'audit"},
    "nav.sign_out": {"en": "Sign out", "fr": "Se déconnecter"},
    "nav.language": {"en": "Language", "fr": "Langue"},
    "nav.apply": {"en": "Apply", "fr": "Appliquer"},
    "signin.title": {"en": "Sign in", "fr": "Connexion"},
    "signin.body": {
        "en": "Open the one-time sign-in link you received, or sign in with your organisation.",
        "fr": "Ouvrez le lien de connexion à usage unique reçu, ou connectez-vous via votre "
        "organisation.",
    },
    "signin.bad_link": {
        "en": "This sign-in link is unknown, already used or expired. Ask for a new one.",
        "fr": "Ce lien de connexion est inconnu, déjà utilisé ou expiré. Demandez-en un nouveau.",
    },
    "signin.organisation": {
        "en": "Sign in with your organisation",
        "fr": "Se connecter avec votre organisation",
    },
    "signin.signed_out": {"en": "You are signed out.", "fr": "Vous êtes déconnecté."},
    "home.hello": {"en": "Hello, {name}", "fr": "Bonjour, {name}"},
    "home.roles": {"en": "Your roles: {roles}", "fr": "Vos rôles : {roles}"},
    "periods.title": {"en": "Enrolment periods", "fr": "Périodes d'inscription"},
    "periods.none": {"en": "No period to show.", "fr": "Aucune période à afficher."},
    "period.status": {"en": "Status", "fr": "Statut"},
    "period.closes": {"en": "Closes", "fr": "Clôture"},
    "period.name": {"en": "Period", "fr": "Période"},
    "period.choose": {"en": "Choose benefits", "fr": "Choisir mes avantages"},
    "period.result": {"en": "My result", "fr": "Mon résultat"},
    "period.manage": {"en": "Manage", "fr": "Gérer"},
    "status.draft": {"en": "draft", "fr": "brouillon"},
    "status.open": {"en": "open", "fr": "ouverte"},
    "status.closed": {"en": "closed", "fr": "clôturée"},
    "status.published": {"en": "published", "fr": "publiée"},
    "choose.title": {"en": "Choose your benefits — {period}", "fr": "Vos avantages — {period}"},
    "choose.intro": {
        "en": "Spread up to {points} points over the benefits you want. Core benefits are "
        "given to everyone eligible.",
        "fr": "Répartissez jusqu'à {points} points sur les avantages souhaités. Les avantages "
        "de base sont attribués à toute personne éligible.",
    },
    "choose.points": {"en": "Points for {name}", "fr": "Points pour {name}"},
    "choose.units": {"en": "Units of {name}", "fr": "Unités de {name}"},
    "choose.cost": {"en": "Cost", "fr": "Coût"},
    "choose.capacity": {"en": "{n} places", "fr": "{n} places"},
    "choose.requires": {"en": "Requires {codes}", "fr": "Nécessite {codes}"},
    "choose.exclusive": {
        "en": "One of the group “{group}” at most",
        "fr": "Un seul avantage du groupe « {group} »",
    },
    "choose.core": {"en": "Core benefit: given to you", "fr": "Avantage de base : attribué"},
    "choose.not_eligible": {"en": "Not available to you", "fr": "Non disponible pour vous"},
    "choose.save": {"en": "Save my choices", "fr": "Enregistrer mes choix"},
    "choose.saved": {
        "en": "Your choices are saved (version {v}).",
        "fr": "Vos choix sont enregistrés (version {v}).",
    },
    "choose.closed": {
        "en": "The period is {status}: your choices can no longer change.",
        "fr": "La période est {status} : vos choix ne peuvent plus changer.",
    },
    "choose.conflict": {
        "en": "Your choices were changed meanwhile (perhaps in another tab or by HR): the "
        "saved version is now {v}. Your entries are kept below; check them and save again.",
        "fr": "Vos choix ont été modifiés entre-temps (autre onglet ou RH) : la version "
        "enregistrée est maintenant la {v}. Vos saisies sont conservées ci-dessous ; "
        "vérifiez-les puis enregistrez de nouveau.",
    },
    "choose.invalid": {"en": "Nothing was saved:", "fr": "Rien n'a été enregistré :"},
    "meter.title": {"en": "Your choice", "fr": "Votre choix"},
    "meter.points_left": {"en": "Points left", "fr": "Points restants"},
    "meter.allowance": {"en": "Allowance", "fr": "Enveloppe"},
    "meter.cost": {"en": "Cost of your choice", "fr": "Coût de votre choix"},
    "meter.none": {"en": "no individual cap", "fr": "pas de plafond individuel"},
    "meter.over": {
        "en": "Your choice costs more than your allowance: not everything can be granted.",
        "fr": "Votre choix dépasse votre enveloppe : tout ne pourra pas être accordé.",
    },
    "hint.title": {"en": "Likely outcome", "fr": "Résultat probable"},
    "hint.would": {
        "en": "If the window closed now you would likely receive: {items}.",
        "fr": "Si la période se terminait maintenant, vous recevriez probablement : {items}.",
    },
    "hint.nothing": {
        "en": "If the window closed now you would likely receive no optional benefit.",
        "fr": "Si la période se terminait maintenant, vous ne recevriez probablement aucun "
        "avantage optionnel.",
    },
    "hint.demand": {
        "en": "{name} is wanted by {ratio} people per place.",
        "fr": "{name} est demandé par {ratio} personnes par place.",
    },
    "hint.source": {
        "en": "From a preview run of {when}; the final allocation may differ.",
        "fr": "D'après une simulation du {when} ; l'attribution finale peut différer.",
    },
    "result.title": {"en": "Your allocation — {period}", "fr": "Votre attribution — {period}"},
    "result.lines": {"en": "What you receive", "fr": "Ce que vous recevez"},
    "result.benefit": {"en": "Benefit", "fr": "Avantage"},
    "result.units": {"en": "Units", "fr": "Unités"},
    "result.employer_cost": {"en": "Paid by employer", "fr": "Payé par l'employeur"},
    "result.employee_cost": {"en": "Paid by you", "fr": "Payé par vous"},
    "result.wishes": {"en": "Your wishes", "fr": "Vos souhaits"},
    "result.points": {"en": "Points", "fr": "Points"},
    "result.received": {"en": "Received", "fr": "Reçu"},
    "result.why": {"en": "Why not", "fr": "Pourquoi pas"},
    "result.in_full": {"en": "in full", "fr": "en totalité"},
    "result.allowance": {
        "en": "Allowance used: {used} of {allowance}.",
        "fr": "Enveloppe utilisée : {used} sur {allowance}.",
    },
    "result.no_allowance": {
        "en": "Employer-funded value: {used}.",
        "fr": "Valeur financée par l'employeur : {used}.",
    },
    "result.group": {
        "en": "Your peer group {code}: {n} participants, mean value {mean}.",
        "fr": "Votre groupe de pairs {code} : {n} participants, valeur moyenne {mean}.",
    },
    "result.group_hidden": {
        "en": "Your peer group has fewer than 5 participants: its figures are not shown.",
        "fr": "Votre groupe compte moins de 5 participants : ses chiffres ne sont pas affichés.",
    },
    "result.none": {"en": "No result is published yet.", "fr": "Aucun résultat publié."},
    "receipt.title": {"en": "Fairness receipt", "fr": "Reçu d'équité"},
    "receipt.hash": {"en": "Problem hash (SHA-256)", "fr": "Empreinte du problème (SHA-256)"},
    "receipt.ratio": {
        "en": "Your value divided by your need: {ratio}; your group's limit: {limit}.",
        "fr": "Votre valeur divisée par votre besoin : {ratio} ; limite de votre groupe : {limit}.",
    },
    "receipt.check": {
        "en": "Anyone holding the run's problem and result can re-check the allocation with:",
        "fr": "Toute personne disposant du problème et du résultat peut vérifier l'attribution "
        "avec :",
    },
    "hr.participation": {"en": "Participation by peer group", "fr": "Participation par groupe"},
    "hr.submitted": {"en": "submitted", "fr": "soumis"},
    "hr.employees": {"en": "employees", "fr": "salariés"},
    "hr.open": {"en": "Open the period", "fr": "Ouvrir la période"},
    "hr.close": {"en": "Close the period", "fr": "Clôturer la période"},
    "hr.start_run": {"en": "Start a run", "fr": "Lancer un calcul"},
    "hr.runs": {"en": "Runs", "fr": "Calculs"},
    "hr.run": {"en": "Run {id}", "fr": "Calcul {id}"},
    "hr.run_status": {"en": "Status: {status}", "fr": "Statut : {status}"},
    "hr.refresh": {
        "en": "This page refreshes while the run is in progress.",
        "fr": "Cette page se met à jour pendant le calcul.",
    },
    "hr.kpis": {"en": "Key figures", "fr": "Indicateurs"},
    "hr.groups": {"en": "Peer groups", "fr": "Groupes de pairs"},
    "hr.group": {"en": "Group", "fr": "Groupe"},
    "hr.participants": {"en": "Participants", "fr": "Participants"},
    "hr.mean_value": {"en": "Mean value", "fr": "Valeur moyenne"},
    "hr.max_ratio": {"en": "Highest ratio to the mean", "fr": "Ratio maximal à la moyenne"},
    "hr.approve": {"en": "Approve for payroll", "fr": "Approuver pour la paie"},
    "hr.approved": {"en": "Published as version {v}.", "fr": "Publiée en version {v}."},
    "hr.payroll": {"en": "Payroll export (CSV)", "fr": "Export paie (CSV)"},
    "hr.started": {"en": "Run started.", "fr": "Calcul lancé."},
    "hr.done": {"en": "Done.", "fr": "Fait."},
    "audit.title": {"en": "Audit events", "fr": "Événements d'audit"},
    "audit.when": {"en": "When", "fr": "Quand"},
    "audit.actor": {"en": "Actor", "fr": "Auteur"},
    "audit.action": {"en": "Action", "fr": "Action"},
    "audit.entity": {"en": "Entity", "fr": "Objet"},
    "fin.title": {
        "en": "Scenarios and budgets — {period}",
        "fr": "Scénarios et budgets — {period}",
    },
    "fin.scenarios": {"en": "Scenarios", "fr": "Scénarios"},
    "fin.name": {"en": "Name", "fr": "Nom"},
    "fin.description": {"en": "Description", "fr": "Description"},
    "fin.overrides": {"en": "Overrides (JSON)", "fr": "Modifications (JSON)"},
    "fin.overrides_help": {
        "en": "Keys: budget_caps, new_budgets, allowance_multiplier, group_allowances, "
        "cost_multipliers, category_cost_multipliers, capacities, withdrawn_benefits, "
        "equity_tolerance, equity_absolute, objective. Money in minor units.",
        "fr": "Clés : budget_caps, new_budgets, allowance_multiplier, group_allowances, "
        "cost_multipliers, category_cost_multipliers, capacities, withdrawn_benefits, "
        "equity_tolerance, equity_absolute, objective. Montants en centimes.",
    },
    "fin.create": {"en": "Create the scenario", "fr": "Créer le scénario"},
    "fin.save": {"en": "Save the scenario", "fr": "Enregistrer le scénario"},
    "fin.run": {"en": "Run this scenario", "fr": "Calculer ce scénario"},
    "fin.conflict": {
        "en": "Someone changed this scenario meanwhile: it is now version {v}, shown below. "
        "Re-apply your change and save again.",
        "fr": "Quelqu'un a modifié ce scénario entre-temps : voici la version {v}. "
        "Refaites votre modification puis enregistrez.",
    },
    "fin.compare": {"en": "Compare runs", "fr": "Comparer des calculs"},
    "fin.baseline": {"en": "baseline", "fr": "référence"},
    "fin.curve": {"en": "Budget curve", "fr": "Courbe budgétaire"},
    "fin.budget": {"en": "Budget", "fr": "Budget"},
    "fin.from": {"en": "From (minor units of {currency})", "fr": "De (centimes de {currency})"},
    "fin.to": {"en": "To (minor units of {currency})", "fr": "À (centimes de {currency})"},
    "fin.steps": {"en": "Steps", "fr": "Étapes"},
    "fin.scenario": {"en": "Inputs", "fr": "Données"},
    "fin.draw": {"en": "Draw the curve", "fr": "Tracer la courbe"},
    "fin.current_cap": {"en": "Current cap: {cap}.", "fr": "Plafond actuel : {cap}."},
    "fin.price": {
        "en": "Price of fairness: {percent} % of satisfaction lost to the equity band.",
        "fr": "Prix de l'équité : {percent} % de satisfaction perdue du fait de la bande d'équité.",
    },
    "fin.curve_alt": {
        "en": "Satisfaction and budget used against the cap of {budget}; figures in the table",
        "fr": "Satisfaction et budget utilisé selon le plafond de {budget} ; chiffres dans le "
        "tableau",
    },
    "fin.cap": {"en": "Cap", "fr": "Plafond"},
    "fin.used": {"en": "Used", "fr": "Utilisé"},
    "fin.satisfaction": {"en": "Total satisfaction", "fr": "Satisfaction totale"},
    "period.finance": {"en": "Scenarios", "fr": "Scénarios"},
    "result.from": {"en": "From", "fr": "Du"},
    "result.to": {"en": "To", "fr": "Au"},
    "result.dated": {
        "en": "Each line runs from its first to its last day; a life event ends a line the "
        "day before its replacement starts, and costs are counted for those days only.",
        "fr": "Chaque ligne court de son premier à son dernier jour ; un événement de vie "
        "termine une ligne la veille du début de sa remplaçante, et les coûts ne comptent "
        "que ces jours-là.",
    },
    "period.events": {"en": "Life events", "fr": "Événements de vie"},
    "events.title": {"en": "Life events — {period}", "fr": "Événements de vie — {period}"},
    "events.mine_title": {
        "en": "Your life events — {period}",
        "fr": "Vos événements de vie — {period}",
    },
    "events.none": {"en": "No life event.", "fr": "Aucun événement de vie."},
    "event.kind": {"en": "Event", "fr": "Événement"},
    "event.date": {"en": "Effective date", "fr": "Date d'effet"},
    "event.window": {"en": "Changes allowed until", "fr": "Modifications possibles jusqu'au"},
    "event.categories": {"en": "Categories that may change", "fr": "Catégories modifiables"},
    "event.all_categories": {"en": "every category", "fr": "toutes les catégories"},
    "event.no_categories": {"en": "none", "fr": "aucune"},
    "event.employee": {"en": "Employee", "fr": "Salarié"},
    "event.note": {"en": "Note (optional)", "fr": "Note (facultative)"},
    "event.actions": {"en": "Actions", "fr": "Actions"},
    "event.choose": {"en": "Choose for this event", "fr": "Choisir pour cet événement"},
    "event.status.reported": {"en": "reported, awaiting HR", "fr": "déclaré, en attente des RH"},
    "event.status.confirmed": {"en": "confirmed", "fr": "confirmé"},
    "event.status.published": {"en": "published", "fr": "publié"},
    "event.report_title": {"en": "Report a life event", "fr": "Déclarer un événement de vie"},
    "event.report_intro": {
        "en": "HR confirms the event. Within its window you may change the benefits of the "
        "categories it opens; your other benefits stay as they are.",
        "fr": "Les RH confirment l'événement. Pendant sa fenêtre, vous pouvez modifier les "
        "avantages des catégories qu'il ouvre ; vos autres avantages restent inchangés.",
    },
    "event.reason": {"en": "Reason", "fr": "Motif"},
    "event.report": {"en": "Report the event", "fr": "Déclarer l'événement"},
    "event.reported": {
        "en": "Your event is reported; HR will confirm it.",
        "fr": "Votre événement est déclaré ; les RH vont le confirmer.",
    },
    "event.no_reasons": {
        "en": "HR has configured no life-event reason for this period.",
        "fr": "Les RH n'ont configuré aucun motif d'événement de vie pour cette période.",
    },
    "event.not_published": {
        "en": "Life events can be reported once the period's allocation is published.",
        "fr": "Les événements de vie peuvent être déclarés une fois l'attribution de la "
        "période publiée.",
    },
    "event.choose_title": {
        "en": "Your benefits after the event: {kind} on {date}",
        "fr": "Vos avantages après l'événement : {kind} le {date}",
    },
    "event.may_change": {
        "en": "Until {date} (included) this event may change the benefits of these "
        "categories: {categories}. Your other benefits stay as they are.",
        "fr": "Jusqu'au {date} inclus, cet événement permet de modifier les avantages de ces "
        "catégories : {categories}. Vos autres avantages restent inchangés.",
    },
    "event.may_change_all": {
        "en": "This event may change every category until {date} (included).",
        "fr": "Cet événement permet de modifier toutes les catégories jusqu'au {date} inclus.",
    },
    "event.locked": {
        "en": "This event cannot change the category “{category}”: what you have there "
        "stays as it is.",
        "fr": "Cet événement ne permet pas de modifier la catégorie « {category} » : ce que "
        "vous y avez reste inchangé.",
    },
    "event.cannot_choose": {
        "en": "Your choices for this event cannot change:",
        "fr": "Vos choix pour cet événement ne peuvent pas changer :",
    },
    "event.save": {"en": "Save my event choices", "fr": "Enregistrer mes choix pour l'événement"},
    "event.back": {"en": "Back to my life events", "fr": "Retour à mes événements de vie"},
    "events.filter": {"en": "Filter", "fr": "Filtrer"},
    "events.filter_title": {"en": "Filter the events", "fr": "Filtrer les événements"},
    "events.any": {"en": "any", "fr": "tous"},
    "events.record_title": {"en": "Record an event", "fr": "Enregistrer un événement"},
    "events.record": {"en": "Record the event", "fr": "Enregistrer l'événement"},
    "events.employee_id": {
        "en": "Employee (external id)",
        "fr": "Salarié (identifiant externe)",
    },
    "events.peer_group": {
        "en": "New peer group (transfer only)",
        "fr": "Nouveau groupe de pairs (mutation uniquement)",
    },
    "events.confirm": {"en": "Confirm", "fr": "Confirmer"},
    "events.start_run": {"en": "Start the event run", "fr": "Lancer le calcul de l'événement"},
    "events.run": {"en": "Latest run", "fr": "Dernier calcul"},
    "events.recorded": {"en": "Event recorded.", "fr": "Événement enregistré."},
    "events.confirmed": {"en": "Event confirmed.", "fr": "Événement confirmé."},
    "events.next": {"en": "Next page", "fr": "Page suivante"},
    "events.self_reported": {"en": "reported by the employee", "fr": "déclaré par le salarié"},
    "events.list": {"en": "Events", "fr": "Événements"},
    "hr.event_run": {
        "en": "Event run: {employee}, {kind} from {date}.",
        "fr": "Calcul d'événement : {employee}, {kind} à partir du {date}.",
    },
    "error.title": {"en": "Something went wrong", "fr": "Une erreur est survenue"},
    "error.forbidden": {"en": "You may not do this.", "fr": "Vous ne pouvez pas faire cela."},
    "error.csrf": {
        "en": "This form has expired; reload the page and try again.",
        "fr": "Ce formulaire a expiré ; rechargez la page et réessayez.",
    },
    # Explanations: why a wish was not (fully) met. `.plain`: the reason without its
    # figures (a run stored before figures existed, or a small peer group's band).
    "reason.received": {
        "en": "You received {received} of the {wanted} units of {benefit} you asked for.",
        "fr": "Vous avez reçu {received} des {wanted} unités de {benefit} demandées.",
    },
    "reason.not_eligible": {
        "en": "You are not eligible for {benefit}.",
        "fr": "Vous n'êtes pas éligible à {benefit}.",
    },
    "reason.not_selected": {
        "en": "No rule prevented one more unit of {benefit}; the allocation favoured other "
        "choices (within the solver's optimality gap or to raise the lowest satisfaction).",
        "fr": "Aucune règle n'empêchait une unité de plus de {benefit} ; l'attribution a "
        "privilégié d'autres choix (dans la marge d'optimalité du solveur ou pour relever la "
        "satisfaction la plus basse).",
    },
    "reason.allowance": {
        "en": "Your allowance of {allowance} had {left} left; {package}.",
        "fr": "Il restait {left} sur votre enveloppe de {allowance} ; {package}.",
    },
    "reason.allowance.plain": {
        "en": "One more unit of {benefit} would go beyond your allowance.",
        "fr": "Une unité de plus de {benefit} dépasserait votre enveloppe.",
    },
    "reason.budget": {
        "en": "The {budget} budget of {cap} had {left} left; {package}.",
        "fr": "Il restait {left} sur le budget {budget} de {cap} ; {package}.",
    },
    "reason.budget.plain": {
        "en": "The {budget} budget had too little left for one more unit of {benefit}.",
        "fr": "Il restait trop peu sur le budget {budget} pour une unité de plus de {benefit}.",
    },
    "reason.package": {"en": "{benefit} costs {cost}", "fr": "{benefit} coûte {cost}"},
    "reason.package.prerequisites": {
        "en": "and requires {needed}, which you did not receive: {total} together",
        "fr": "et nécessite {needed}, que vous n'avez pas reçu : {total} au total",
    },
    "reason.package.co_funded": {
        "en": "(the employer's share is {share} after {co_funded} from your top-up room)",
        "fr": "(la part de l'employeur est de {share} après {co_funded} pris sur votre marge "
        "de complément)",
    },
    "reason.capacity.one": {
        "en": "{benefit} had {places} place and all were allocated.",
        "fr": "{benefit} comptait {places} place, déjà attribuée.",
    },
    "reason.capacity.other": {
        "en": "{benefit} had {places} places and all were allocated.",
        "fr": "{benefit} comptait {places} places, toutes attribuées.",
    },
    "reason.capacity.plain": {
        "en": "Every place of {benefit} was allocated.",
        "fr": "Toutes les places de {benefit} ont été attribuées.",
    },
    "reason.exclusive": {
        "en": "{benefit} and {received} are alternatives (group {group}) and you received "
        "{received}.",
        "fr": "{benefit} et {received} sont des alternatives (groupe {group}) et vous avez "
        "reçu {received}.",
    },
    "reason.exclusive.plain": {
        "en": "{benefit} is an alternative to {received}, which you received.",
        "fr": "{benefit} est une alternative à {received}, que vous avez reçu.",
    },
    "reason.requires.not_eligible": {
        "en": "{benefit} requires {prerequisite}, which you are not eligible for.",
        "fr": "{benefit} nécessite {prerequisite}, auquel vous n'êtes pas éligible.",
    },
    "reason.requires.capacity.one": {
        "en": "{benefit} requires {prerequisite}, and {prerequisite} had {places} place, "
        "all allocated.",
        "fr": "{benefit} nécessite {prerequisite}, et {prerequisite} comptait {places} place, "
        "déjà attribuée.",
    },
    "reason.requires.capacity.other": {
        "en": "{benefit} requires {prerequisite}, and {prerequisite} had {places} places, "
        "all allocated.",
        "fr": "{benefit} nécessite {prerequisite}, et {prerequisite} comptait {places} places, "
        "toutes attribuées.",
    },
    "reason.requires.exclusive": {
        "en": "{benefit} requires {prerequisite}, and {prerequisite} is an alternative to "
        "{rivals} (group {group}), which you received.",
        "fr": "{benefit} nécessite {prerequisite}, et {prerequisite} est une alternative à "
        "{rivals} (groupe {group}), que vous avez reçu.",
    },
    "reason.requires.plain": {
        "en": "{benefit} requires {prerequisite}, which you could not receive with it.",
        "fr": "{benefit} nécessite {prerequisite}, que vous ne pouviez pas recevoir avec.",
    },
    "reason.equity_band": {
        "en": "One more unit of {benefit} would bring your employer-funded benefits to "
        "{value}, above your peer group's fairness limit of {cap}: the group average with "
        "this unit, {mean}, plus {tolerance}% plus {absolute}.",
        "fr": "Une unité de plus de {benefit} porterait vos avantages financés par "
        "l'employeur à {value}, au-delà de la limite d'équité de votre groupe de pairs, "
        "{cap} : la moyenne du groupe avec cette unité, {mean}, plus {tolerance} % plus "
        "{absolute}.",
    },
    "reason.equity_band.published": {
        "en": "One more unit of {benefit} would bring your employer-funded benefits to "
        "{value}, above the fairness limit of {cap} set by your peer group's figures in the "
        "published allocation.",
        "fr": "Une unité de plus de {benefit} porterait vos avantages financés par "
        "l'employeur à {value}, au-delà de la limite d'équité de {cap} fixée par les "
        "chiffres de votre groupe de pairs dans l'attribution publiée.",
    },
    "reason.equity_band.plain": {
        "en": "One more unit of {benefit} would take your employer-funded benefits above your "
        "peer group's fairness limit.",
        "fr": "Une unité de plus de {benefit} porterait vos avantages financés par "
        "l'employeur au-delà de la limite d'équité de votre groupe de pairs.",
    },
    "reason.per_need": {"en": "{amount} per need unit", "fr": "{amount} par unité de besoin"},
    "reason.unknown": {
        "en": "Another rule of the allocation prevented one more unit of {benefit}.",
        "fr": "Une autre règle de l'attribution empêchait une unité de plus de {benefit}.",
    },
}

# Event kinds: the built-in ones and common family reasons; HR may configure others (shown
# by their code).
KINDS: dict[str, dict[str, str]] = {
    "hire": {"en": "hire", "fr": "embauche"},
    "leave": {"en": "leave", "fr": "départ"},
    "transfer": {"en": "transfer", "fr": "mutation"},
    "birth": {"en": "birth", "fr": "naissance"},
    "adoption": {"en": "adoption", "fr": "adoption"},
    "marriage": {"en": "marriage", "fr": "mariage"},
    "partner": {"en": "new partner", "fr": "nouveau partenaire"},
    "dependant": {"en": "new dependant", "fr": "nouvelle personne à charge"},
}


def kind_words(kind: str, language: str) -> str:
    entry = KINDS.get(kind)
    if entry is None:
        return kind
    return entry.get(language, entry[DEFAULT_LANGUAGE])


def negotiate(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header (q-values honoured)."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        q -= index * 1e-6  # earlier wins ties
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def translator(language: str) -> Callable[..., str]:
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(key: str, **values: object) -> str:
        entry = MESSAGES[key]
        return entry.get(lang, entry["en"]).format(**values)

    return t


def plural(count: int, language: str) -> str:
    """The plural category of `count` (CLDR, cardinal): "one" or "other"; French counts 0
    as one."""
    if count == 1 or (count == 0 and language == "fr"):
        return "one"
    return "other"
