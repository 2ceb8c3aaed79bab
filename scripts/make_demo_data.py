"""Generate the SYNTHETIC demo company base of the product (``data/demo/``).

Every company written by this script is invented: names, numbers, postcodes and texts are
synthetic. What is real are the *distributions* they are drawn from, all bundled in ``data/``:

* SIC codes: the 2017 Companies House frequencies of 5-digit SIC codes
  (``data/sic/companies_house_sic_counts_2017.tsv``); cluster companies draw codes that are
  plausible for their cluster, often generic ones (62012, 72190, 70229, 82990, 74909) because
  SIC codes cannot express emerging clusters;
* activity phrases: the ONS SIC 2007 alphabetical index
  (``data/sic/sic2007_alphabetical_index.csv``);
* geography: real East and West Midlands postcode districts and their local authorities
  (``data/geo/postcode_district_to_lad2020.csv``), with invented inward codes;
* the cluster ids and parents: the default taxonomy (``data/taxonomy/midlands.yaml``).

Outputs (``--out``, default ``data/demo``):

* ``companies.csv``: the company base (COMPANY_BASE contract columns; ``sic_codes`` is a
  ``;``-separated string; ISO dates);
* ``truth.csv``: the generator's synthetic ground truth (``company_id, labels, case``): cluster
  ids separated by ``;`` (empty = no cluster), parents included, and the kind of case;
* ``labels.csv``: a seeded ~20 % subset presented as analyst-reviewed training labels
  (LABELS contract: ``company_id, text, labels``; empty labels = reviewed negative);
* ``summary.csv``: companies per cluster in the truth and in the labels.

The output is a pure function of ``--seed`` and the bundled data: running twice with the
same seed gives byte-identical files.

Usage::

    python scripts/make_demo_data.py                 # seed 42, writes data/demo/
    python scripts/make_demo_data.py --seed 7 --out /tmp/demo
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # allow running the script without installing the package
    sys.path.insert(0, str(ROOT))

from clusters.contracts import COMPANY_BASE, LABELS  # noqa: E402
from clusters.taxonomy import Taxonomy, Tier, load_taxonomy  # noqa: E402

logger = logging.getLogger("make_demo_data")

DEFAULT_SEED = 42
DEFAULT_N_COMPANIES = 3200
SNAPSHOT = date(2025, 9, 30)
"""The date the synthetic register is "as of"."""
NAME_MARKER = "(SYNTHETIC)"
"""Appended to every company name so no synthetic record can pass for a real one."""
LABEL_SHARE = 0.20
MIN_LABELLED_POSITIVES = 6
MIDLANDS = ("East Midlands", "West Midlands")

# =============================================================================================
# Content: cluster profiles
# =============================================================================================
# Each leaf cluster of the taxonomy has a profile: how many companies to make, which SIC codes
# they plausibly file under, and sentence pools to write their descriptions from. Placeholders
# in pool items: {town}, {county}, {region}. Sentence-level placeholders are documented at
# ``render``.


@dataclass(frozen=True)
class Profile:
    """How to make one kind of company (a cluster, or a kind of non-cluster business)."""

    key: str
    count: int
    sic: tuple[str, ...]
    """Codes specific to this kind of company."""
    generic_sic: tuple[str, ...] = ()
    """Generic codes such companies also file under."""
    p_generic: float = 0.0
    descriptors: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    filing: tuple[str, ...] = ()
    name_stems: tuple[str, ...] = ()
    name_suffixes: tuple[str, ...] = ()
    places: dict[str, float] = field(default_factory=dict)
    size: str = "tech"
    age: str = "mixed"
    turnover_per_employee: float = 100_000
    anchors: int = 0
    vague: tuple[str, ...] = ()
    """Descriptors for the vague variant (cluster companies that say little about themselves)."""


GENERIC_TECH_SIC = ("62012", "62020", "62090", "72190", "70229", "82990", "74909", "71129")
GENERIC_MAKER_SIC = ("72190", "70229", "82990", "74909", "71129", "32990", "46690", "46190")

CLUSTER_PROFILES: tuple[Profile, ...] = (
    Profile(
        key="medtech",
        count=90,
        sic=("32500", "26600", "26701", "26511", "30920", "72190", "47749"),
        generic_sic=GENERIC_MAKER_SIC,
        p_generic=0.35,
        descriptors=(
            "medical device manufacturer",
            "medtech company",
            "medical technology business",
            "specialist maker of surgical instruments",
            "diagnostics company",
            "contract manufacturer of medical devices",
        ),
        verbs=(
            "design and manufacture",
            "develop and make",
            "engineer and supply",
            "design, test and manufacture",
        ),
        products=(
            "single-use surgical instruments",
            "orthopaedic implants and instrument sets",
            "advanced wound care dressings",
            "point-of-care diagnostic tests",
            "lateral flow assays",
            "patient monitoring devices",
            "handheld ultrasound probes",
            "custom orthotics and prosthetic sockets",
            "pressure-relief mattresses",
            "powered wheelchairs and rehabilitation equipment",
            "catheters and drainage sets",
            "hearing aid components",
            "laparoscopic graspers",
            "infusion pump accessories",
            "dental implant systems",
            "spinal fixation devices",
            "ECG electrodes",
            "in vitro diagnostic reagents",
            "surgical lighting",
            "ophthalmic devices",
        ),
        methods=(
            "ISO 13485 certified quality management",
            "cleanroom assembly to ISO Class 7",
            "precision micro-moulding of medical-grade polymers",
            "ethylene oxide and gamma sterilisation management",
            "biocompatibility and usability testing",
            "UKCA and CE marking technical files",
            "design control under IEC 62304",
            "clinical evaluation and post-market surveillance",
            "laser marking and traceability",
            "rapid prototyping of device housings",
        ),
        customers=(
            "NHS trusts",
            "orthopaedic surgeons",
            "private hospitals",
            "medical device OEMs",
            "distributors in Europe and the Middle East",
            "community care providers",
            "veterinary practices",
            "NHS Supply Chain",
            "diagnostic laboratories",
            "clinical research teams",
        ),
        extras=(
            "Every device is registered with the MHRA and manufactured under an ISO 13485 "
            "quality system.",
            "Products are assembled and packed in a controlled cleanroom in {town}.",
            "The company works closely with clinicians at hospitals across the {region}.",
            "A new Class II device completed its clinical evaluation this year.",
            "Engineers support customers from concept through verification, validation "
            "and regulatory submission.",
            "Sterile single-use products are shipped to more than 30 countries.",
        ),
        filing=(
            "the design and manufacture of medical devices",
            "the manufacture of surgical instruments",
            "the development of diagnostic products",
            "the manufacture of orthopaedic and rehabilitation products",
            "contract manufacture of medical devices",
        ),
        name_stems=(
            "Ortho",
            "Medi",
            "Cura",
            "Vita",
            "Sana",
            "Thera",
            "Cardio",
            "Derma",
            "Oss",
            "Neuro",
            "Lumen",
            "Sutur",
        ),
        name_suffixes=(
            "Medical",
            "Medical Devices",
            "Diagnostics",
            "Surgical",
            "Orthopaedics",
            "Healthcare Technologies",
            "Medtech",
        ),
        places={
            "Nottingham": 2.0,
            "Birmingham": 1.5,
            "Leicester": 1.5,
            "Charnwood": 1.5,
            "Coventry": 1.3,
            "Derby": 1.2,
        },
        size="mfg",
        turnover_per_employee=110_000,
        anchors=1,
        vague=("engineering company", "product design consultancy", "manufacturing business"),
    ),
    Profile(
        key="pharma-biotech",
        count=55,
        sic=("21100", "21200", "72110", "72190", "20590", "71200"),
        generic_sic=("72190", "70229", "74909", "82990", "46460", "71200"),
        p_generic=0.3,
        descriptors=(
            "biotechnology company",
            "pharmaceutical manufacturer",
            "contract research organisation",
            "drug discovery company",
            "life sciences company",
            "contract development and manufacturing organisation",
        ),
        verbs=("develop", "discover and develop", "manufacture", "formulate and manufacture"),
        products=(
            "small-molecule drug candidates",
            "monoclonal antibodies",
            "cell and gene therapies",
            "generic oral solid dose medicines",
            "sterile injectable products",
            "active pharmaceutical ingredients",
            "novel antibiotics",
            "mRNA vaccine components",
            "viral vectors",
            "inhaled drug formulations",
            "peptide therapeutics",
            "radiopharmaceuticals",
            "cancer immunotherapies",
            "biomarker assays",
            "recombinant proteins",
            "orphan drugs for rare diseases",
        ),
        methods=(
            "medicinal chemistry",
            "GMP manufacturing",
            "preclinical pharmacology",
            "bioprocess development",
            "formulation development",
            "analytical method validation",
            "high-throughput screening",
            "genomics and proteomics",
            "stability testing",
            "clinical trial supply",
            "assay development",
            "crystallisation and solid-form screening",
        ),
        customers=(
            "pharmaceutical companies",
            "biotech start-ups",
            "university spin-outs",
            "clinical trial sponsors",
            "the NHS",
            "global pharma partners",
            "contract manufacturing partners",
            "academic research groups",
        ),
        extras=(
            "The laboratories hold an MHRA manufacturing licence and operate to GMP.",
            "A lead candidate is due to enter phase I clinical trials next year.",
            "The team includes medicinal chemists, biologists and pharmacologists.",
            "Scientists work from purpose-built laboratories at a science park near {town}.",
            "The company was spun out of university research in {county}.",
            "Recent funding will expand bioprocessing capacity.",
        ),
        filing=(
            "research and development of pharmaceutical products",
            "the manufacture of pharmaceutical preparations",
            "biotechnology research and development",
            "contract research services to the pharmaceutical industry",
            "drug discovery",
        ),
        name_stems=(
            "Thera",
            "Bio",
            "Gen",
            "Pharm",
            "Cell",
            "Myco",
            "Pept",
            "Immuno",
            "Vax",
            "Zyme",
            "Mol",
            "Cyte",
        ),
        name_suffixes=(
            "Therapeutics",
            "Biosciences",
            "Pharma",
            "Biologics",
            "Biotech",
            "Life Sciences",
            "Pharmaceuticals",
        ),
        places={
            "Nottingham": 2.5,
            "Charnwood": 2.5,
            "Derby": 1.5,
            "Rushcliffe": 1.5,
            "Birmingham": 1.3,
            "Coventry": 1.2,
            "Leicester": 1.2,
        },
        size="mfg",
        turnover_per_employee=200_000,
        anchors=2,
        vague=("research company", "science-led business", "laboratory services company"),
    ),
    Profile(
        key="digital-health",
        count=32,
        sic=("62012", "62090", "63110", "58290", "86900"),
        generic_sic=("62020", "70229", "82990", "72190", "74909"),
        p_generic=0.35,
        descriptors=(
            "digital health company",
            "healthtech start-up",
            "health software company",
            "telehealth provider",
        ),
        verbs=("build", "develop", "provide", "design and run"),
        products=(
            "a remote patient monitoring platform",
            "digital care records for care homes",
            "an electronic patient record for community services",
            "a telehealth app for physiotherapy",
            "virtual ward software",
            "clinical decision support tools",
            "a patient engagement platform",
            "e-prescribing software",
            "a mental health app",
            "digital therapeutics",
            "care management software for home care agencies",
            "population health analytics dashboards",
            "video consultation software",
        ),
        methods=(
            "NHS DTAC compliance",
            "DCB0129 clinical safety",
            "HL7 FHIR interoperability",
            "cloud hosting on secure NHS-approved infrastructure",
            "user research with patients and clinicians",
            "wearable sensor integration",
            "integration with GP clinical systems",
        ),
        customers=(
            "NHS trusts",
            "integrated care boards",
            "care home groups",
            "GP practices",
            "home care agencies",
            "local authorities",
            "private clinics",
            "patients managing long-term conditions",
        ),
        extras=(
            "The platform is live in several NHS trusts in the {region}.",
            "Clinicians review patient readings remotely and intervene earlier.",
            "The product is listed on the NHS digital framework.",
            "The team combines clinicians, software engineers and designers.",
            "Carers record visits on a mobile app, replacing paper care plans.",
        ),
        filing=(
            "the development of digital health software",
            "the provision of telehealth services and software",
            "software development for the health and care sector",
        ),
        name_stems=("Care", "Health", "Medi", "Vita", "Pulse", "Well", "Clinic", "Ward", "Tele"),
        name_suffixes=("Digital", "Health", "Tech", "Connect", "Systems", "Labs"),
        places={
            "Birmingham": 2.0,
            "Nottingham": 2.0,
            "Leicester": 1.5,
            "Coventry": 1.5,
            "Warwick": 1.5,
        },
        size="startup",
        age="young",
        turnover_per_employee=80_000,
        vague=("software company", "technology company", "health and care consultancy"),
    ),
    Profile(
        key="aerospace",
        count=80,
        sic=("30300", "33160", "25620", "25610", "26511", "28150", "22290"),
        generic_sic=("71129", "25620", "70229", "82990", "74909", "72190"),
        p_generic=0.3,
        descriptors=(
            "aerospace engineering company",
            "aerospace manufacturer",
            "precision engineering company serving aerospace",
            "aero-engine components supplier",
            "aircraft MRO business",
            "tier 2 aerospace supplier",
        ),
        verbs=("manufacture", "design and manufacture", "supply", "engineer and supply"),
        products=(
            "turbine blades and vanes",
            "aero-engine casings",
            "landing gear components",
            "aerostructure assemblies",
            "avionics enclosures",
            "flight control actuators",
            "helicopter transmission parts",
            "aircraft interior panels",
            "composite airframe parts",
            "engine test equipment",
            "fuel system components",
            "small unmanned aircraft",
            "eVTOL prototypes",
            "gas turbine components",
            "precision fasteners for aircraft",
        ),
        methods=(
            "five-axis CNC machining of titanium and nickel alloys",
            "Nadcap-approved heat treatment",
            "non-destructive testing",
            "AS9100 quality management",
            "CAA Part 145 maintenance approval",
            "Part 21 design organisation approval",
            "airworthiness certification",
            "electron beam welding",
            "first article inspection",
            "shot peening",
        ),
        customers=(
            "aero-engine makers",
            "tier 1 aerospace suppliers",
            "airlines",
            "defence primes",
            "helicopter operators",
            "business jet operators",
            "maintenance and overhaul centres",
        ),
        extras=(
            "The company holds AS9100 certification and several Nadcap special-process approvals.",
            "Parts are machined in {town} and shipped to aero-engine assembly lines in the "
            "UK and Europe.",
            "The business forms part of the aerospace supply chain of the {region}.",
            "Recent investment added two five-axis machining centres.",
            "Every part is traceable from raw material certificate to final inspection.",
        ),
        filing=(
            "the manufacture of aerospace components",
            "precision machining for the aerospace industry",
            "the maintenance and repair of aircraft components",
            "aerospace engineering services",
        ),
        name_stems=("Aero", "Avi", "Sky", "Jet", "Wing", "Strato", "Falcon", "Kestrel", "Merlin"),
        name_suffixes=("Aerospace", "Aero Engineering", "Aviation", "Precision", "Aerostructures"),
        places={
            "Derby": 4.0,
            "South Derbyshire": 2.0,
            "Nottingham": 1.5,
            "Solihull": 1.5,
            "Wolverhampton": 2.0,
            "Hinckley and Bosworth": 1.5,
            "Telford and Wrekin": 1.5,
            "Birmingham": 1.2,
        },
        size="mfg",
        age="old",
        turnover_per_employee=140_000,
        anchors=3,
        vague=("precision engineering company", "engineering business", "machining company"),
    ),
    Profile(
        key="automotive-ev",
        count=130,
        sic=("29100", "29310", "29320", "29201", "27200", "27110", "71121", "22290"),
        generic_sic=("71129", "72190", "70229", "82990", "74909", "25620"),
        p_generic=0.3,
        descriptors=(
            "automotive engineering company",
            "electric vehicle developer",
            "tier 1 automotive supplier",
            "battery systems company",
            "motorsport engineering business",
            "EV powertrain specialist",
        ),
        verbs=("design and build", "engineer", "manufacture", "develop and test"),
        products=(
            "battery packs for electric vans",
            "battery management systems",
            "e-axles",
            "traction motors",
            "inverters for electric vehicles",
            "lightweight body structures",
            "hybrid powertrain prototypes",
            "battery thermal management systems",
            "wiring harnesses",
            "pressed and welded chassis parts",
            "electric bus conversions",
            "motorsport gearboxes",
            "on-board chargers",
            "battery module housings",
            "autonomous vehicle test rigs",
            "interior trim for premium cars",
        ),
        methods=(
            "IATF 16949 quality management",
            "vehicle prototyping",
            "battery cell testing",
            "homologation support",
            "CAE and crash simulation",
            "hardware-in-the-loop testing",
            "lightweighting with aluminium and composites",
            "high-voltage safety engineering",
            "dynamometer testing",
        ),
        customers=(
            "vehicle manufacturers",
            "tier 1 suppliers",
            "bus and truck makers",
            "motorsport teams",
            "EV start-ups",
            "fleet operators",
            "OEM programme teams",
        ),
        extras=(
            "The engineering centre in {town} runs battery and powertrain test cells.",
            "The company supplies programmes at several UK vehicle plants.",
            "A new production line for battery modules opened this year.",
            "The team moved from internal combustion work to electrification five years ago.",
            "Prototype vehicles are built and tested on site.",
        ),
        filing=(
            "automotive engineering and design services",
            "the manufacture of parts and accessories for motor vehicles",
            "the design and manufacture of electric vehicle battery systems",
            "the development of electric powertrains",
        ),
        name_stems=(
            "Volt",
            "Torque",
            "Axle",
            "Drive",
            "Motive",
            "Charge",
            "Amp",
            "Kinetic",
            "Piston",
            "Gear",
        ),
        name_suffixes=(
            "Automotive",
            "Powertrain",
            "EV",
            "Mobility",
            "Vehicle Engineering",
            "Battery Systems",
            "Motorsport",
        ),
        places={
            "Coventry": 4.0,
            "Warwick": 3.0,
            "Stratford-on-Avon": 2.5,
            "Solihull": 3.0,
            "Birmingham": 1.5,
            "Rugby": 1.5,
            "Nuneaton and Bedworth": 1.5,
            "South Northamptonshire": 3.0,
            "Hinckley and Bosworth": 2.0,
            "Walsall": 1.3,
            "Sandwell": 1.3,
            "Daventry": 1.5,
        },
        size="mfg",
        age="old",
        turnover_per_employee=180_000,
        anchors=3,
        vague=("engineering company", "manufacturing company", "design consultancy"),
    ),
    Profile(
        key="rail",
        count=55,
        sic=("30200", "33170", "42120", "27900", "71129", "27120"),
        generic_sic=("71129", "70229", "82990", "74909", "43999"),
        p_generic=0.3,
        descriptors=(
            "rail engineering company",
            "rolling stock supplier",
            "railway signalling specialist",
            "rail systems business",
        ),
        verbs=("design and supply", "supply", "engineer and supply"),
        products=(
            "train interiors",
            "bogie components",
            "railway signalling systems",
            "overhead line equipment",
            "traction converters",
            "level crossing systems",
            "very light rail vehicles",
            "depot maintenance equipment",
            "tram track components",
            "train control software",
            "passenger information displays",
            "rail vehicle HVAC units",
        ),
        methods=(
            "RISQS accreditation",
            "Network Rail product acceptance",
            "ETCS integration",
            "rolling stock refurbishment",
            "track renewal planning",
            "electrification design",
            "vehicle dynamics testing",
        ),
        customers=(
            "Network Rail",
            "train operators",
            "rolling stock leasing companies",
            "light rail and tram networks",
            "rail infrastructure contractors",
        ),
        extras=(
            "The company is a Network Rail approved supplier.",
            "Engineers work at depots and on track across the UK.",
            "The business is part of the rail supply chain of the {region}.",
            "The team supported a very light rail demonstrator in the West Midlands.",
        ),
        filing=(
            "railway engineering services",
            "the manufacture of rail vehicle components",
            "signalling and rail systems engineering",
        ),
        name_stems=("Rail", "Track", "Signal", "Loco", "Bogie", "Line", "Points"),
        name_suffixes=("Rail", "Rail Systems", "Railway Engineering", "Rail Technologies"),
        places={"Derby": 5.0, "Charnwood": 2.0, "Birmingham": 1.5, "Nottingham": 1.3},
        size="mfg",
        age="old",
        turnover_per_employee=120_000,
        anchors=1,
        vague=("engineering services company", "electrical engineering business"),
    ),
    Profile(
        key="logistics-tech",
        count=30,
        sic=("62012", "63110", "28220", "52290", "26511"),
        generic_sic=("62020", "70229", "82990", "74909"),
        p_generic=0.35,
        descriptors=(
            "logistics technology company",
            "supply chain software company",
            "warehouse automation specialist",
            "fleet telematics provider",
        ),
        verbs=("build", "develop", "design and install", "supply"),
        products=(
            "a warehouse management system",
            "a transport management system",
            "route optimisation software",
            "fleet telematics units",
            "automated storage and retrieval systems",
            "goods-to-person picking systems",
            "a last-mile delivery platform",
            "a freight marketplace app",
            "parcel lockers",
            "autonomous mobile robots for warehouses",
            "load planning software",
            "cold chain monitoring sensors",
        ),
        methods=(
            "real-time tracking",
            "integration with carrier APIs",
            "optimisation algorithms",
            "warehouse simulation",
            "cloud-based dashboards",
        ),
        customers=(
            "third-party logistics providers",
            "retailers",
            "hauliers",
            "e-commerce brands",
            "distribution centres on the M1 corridor",
            "food distributors",
        ),
        extras=(
            "The Golden Triangle of Midlands logistics is on the doorstep.",
            "Customers cut empty miles and missed deliveries.",
            "Systems are installed in distribution centres around {town}.",
        ),
        filing=(
            "the development of logistics software",
            "the supply of warehouse automation systems",
        ),
        name_stems=("Route", "Freight", "Fleet", "Depot", "Cargo", "Track", "Pallet", "Hub"),
        name_suffixes=("Logistics Technology", "Systems", "Software", "Automation", "Tech"),
        places={
            "Daventry": 3.0,
            "North West Leicestershire": 3.0,
            "Northampton": 2.0,
            "Rugby": 2.0,
            "Corby": 2.0,
            "Kettering": 2.0,
            "Lichfield": 1.5,
            "Cannock Chase": 1.5,
            "Birmingham": 1.3,
            "Coventry": 1.3,
        },
        size="startup",
        age="young",
        turnover_per_employee=100_000,
        vague=("software company", "logistics consultancy"),
    ),
    Profile(
        key="space-tech",
        count=25,
        sic=("30300", "61300", "26309", "72190", "63110", "26511"),
        generic_sic=("62012", "72190", "70229", "74909", "71129"),
        p_generic=0.4,
        descriptors=(
            "space technology company",
            "satellite data company",
            "small satellite developer",
            "Earth observation start-up",
            "space instrumentation business",
        ),
        verbs=("develop and supply", "provide", "deliver"),
        products=(
            "CubeSat subsystems",
            "satellite payloads",
            "Earth observation analytics",
            "ground station software",
            "space-qualified sensors",
            "satellite communications terminals",
            "SAR data products",
            "GNSS positioning services",
            "space weather monitoring",
            "thermal vacuum test services",
            "small satellite structures",
            "in-orbit servicing concepts",
        ),
        methods=(
            "space-qualified electronics",
            "thermal vacuum testing",
            "satellite imagery processing",
            "orbit analysis",
            "radiation-tolerant design",
            "mission operations",
        ),
        customers=(
            "satellite operators",
            "the UK Space Agency",
            "the European Space Agency",
            "insurers",
            "environmental agencies",
            "defence customers",
            "infrastructure owners",
        ),
        extras=(
            "The team works closely with the space park in Leicester.",
            "A payload built in {town} launched on a rideshare mission last year.",
            "Satellite imagery is turned into alerts that customers can act on.",
            "The company is part of the Midlands space cluster.",
        ),
        filing=(
            "the design of satellite systems",
            "the supply of satellite data services",
            "space technology research and development",
        ),
        name_stems=("Orbit", "Astra", "Sat", "Nova", "Stellar", "Cosmo", "Apogee", "Zenith"),
        name_suffixes=("Space", "Space Systems", "Satellite", "Orbital", "Geospatial"),
        places={
            "Leicester": 6.0,
            "Charnwood": 2.0,
            "Blaby": 1.5,
            "Oadby and Wigston": 1.5,
            "Nottingham": 1.5,
            "Birmingham": 1.3,
            "Coventry": 1.3,
            "Warwick": 1.3,
        },
        size="startup",
        age="young",
        turnover_per_employee=110_000,
        vague=("engineering consultancy", "data company", "research company"),
    ),
    Profile(
        key="low-carbon-energy",
        count=130,
        sic=("35110", "43210", "43220", "27110", "27900", "74901", "71122", "35300"),
        generic_sic=("43999", "70229", "82990", "74909", "71129", "46690"),
        p_generic=0.3,
        descriptors=(
            "renewable energy installer",
            "net zero consultancy",
            "solar PV company",
            "heat pump specialist",
            "energy efficiency business",
            "renewable energy developer",
            "EV charging installer",
        ),
        verbs=("deliver", "provide", "design and deliver"),
        products=(
            "solar PV systems",
            "air source heat pumps",
            "ground source heat pumps",
            "battery storage",
            "EV charge points",
            "commercial solar arrays",
            "energy efficiency retrofit",
            "LED lighting upgrades",
            "smart energy management systems",
            "carbon accounting reports",
            "anaerobic digestion plants",
            "small wind turbines",
            "district heating networks",
            "solar farms",
            "building energy audits",
            "biomass boilers",
            "home insulation under PAS 2035",
        ),
        methods=(
            "MCS certification",
            "PAS 2035 retrofit coordination",
            "energy modelling",
            "grid connection design",
            "carbon footprinting",
            "OZEV-approved charge point installation",
            "heat loss surveys",
        ),
        customers=(
            "homeowners",
            "housing associations",
            "farms",
            "schools",
            "councils",
            "commercial landlords",
            "manufacturers cutting their emissions",
            "fleet operators",
        ),
        extras=(
            "The company is MCS certified and a member of RECC.",
            "Installations across {county} save customers thousands of tonnes of CO2 a year.",
            "Clients are helped to reach net zero with a clear decarbonisation plan.",
            "The team has fitted more than a thousand heat pumps and solar systems.",
            "Grants and funding applications are handled for customers.",
        ),
        filing=(
            "the installation of renewable energy systems",
            "the generation of electricity from renewable sources",
            "energy and carbon consultancy",
            "the installation of heat pumps and solar panels",
        ),
        name_stems=("Green", "Solar", "Eco", "Sun", "Zero", "Carbon", "Leaf", "Wind", "Therm"),
        name_suffixes=(
            "Energy",
            "Renewables",
            "Solar",
            "Heat Pumps",
            "Carbon",
            "Power",
            "Net Zero",
        ),
        places={
            "Nottingham": 1.5,
            "Lincoln": 1.3,
            "Stoke-on-Trent": 1.3,
            "Shropshire": 1.3,
            "Derby": 1.2,
            "Newark and Sherwood": 1.5,
            "Bassetlaw": 1.5,
            "North Kesteven": 1.3,
        },
        size="tech",
        turnover_per_employee=160_000,
        anchors=1,
        vague=("building services contractor", "electrical contractor", "consultancy"),
    ),
    Profile(
        key="hydrogen",
        count=25,
        sic=("20110", "27900", "28110", "28132", "35210", "72190", "71121"),
        generic_sic=("72190", "71129", "70229", "74909", "82990"),
        p_generic=0.35,
        descriptors=(
            "hydrogen technology company",
            "fuel cell developer",
            "electrolyser manufacturer",
            "hydrogen engineering consultancy",
        ),
        verbs=("develop", "design and build", "manufacture", "engineer"),
        products=(
            "PEM electrolysers",
            "fuel cell stacks",
            "hydrogen refuelling stations",
            "hydrogen storage tanks",
            "hydrogen combustion engines",
            "solid oxide fuel cells",
            "hydrogen compressors",
            "fuel cell power units for construction sites",
            "green hydrogen production plants",
        ),
        methods=(
            "electrochemistry",
            "high-pressure gas engineering",
            "hazardous area design",
            "stack testing",
            "hydrogen safety assessment",
        ),
        customers=(
            "bus operators",
            "industrial gas users",
            "construction companies",
            "energy developers",
            "councils planning hydrogen hubs",
        ),
        extras=(
            "Green hydrogen is produced from renewable electricity on site.",
            "The company is part of a regional hydrogen valley partnership.",
            "Prototype fuel cell units are tested in {town}.",
        ),
        filing=(
            "the development of hydrogen and fuel cell technology",
            "the manufacture of electrolysers",
        ),
        name_stems=("Hydro", "H2", "Proton", "Stack", "Cell", "Element"),
        name_suffixes=("Hydrogen", "Fuel Cells", "Energy", "Power"),
        places={
            "Derby": 2.0,
            "Nottingham": 1.5,
            "Birmingham": 2.0,
            "Lichfield": 1.5,
            "Stoke-on-Trent": 1.5,
            "Bassetlaw": 1.5,
            "East Staffordshire": 1.5,
        },
        size="startup",
        age="young",
        turnover_per_employee=110_000,
        vague=("engineering company", "energy consultancy"),
    ),
    Profile(
        key="nuclear",
        count=52,
        sic=("24460", "25300", "28110", "71129", "72190", "39000", "71200"),
        generic_sic=("71129", "70229", "74909", "82990"),
        p_generic=0.35,
        descriptors=(
            "nuclear engineering company",
            "nuclear supply chain business",
            "nuclear decommissioning specialist",
            "nuclear safety consultancy",
        ),
        verbs=("supply", "deliver", "provide"),
        products=(
            "nuclear-grade pressure vessel components",
            "small modular reactor modules",
            "remote handling systems",
            "radiation shielding",
            "nuclear safety cases",
            "decommissioning services",
            "radioactive waste containers",
            "reactor components for submarines",
            "hot cell equipment",
            "fusion energy components",
        ),
        methods=(
            "ASME III manufacture",
            "NQA-1 quality assurance",
            "radiation protection",
            "safety case engineering",
            "nuclear welding qualification",
        ),
        customers=(
            "nuclear licensees",
            "the Sellafield supply chain",
            "naval propulsion programmes",
            "SMR developers",
            "fusion research programmes",
        ),
        extras=(
            "The company has supplied the nuclear industry for decades.",
            "Staff hold security clearance for nuclear sites.",
            "The team supports small modular reactor programmes led from Derby.",
        ),
        filing=(
            "engineering services to the nuclear industry",
            "the manufacture of components for the nuclear industry",
        ),
        name_stems=("Atom", "Isotope", "Core", "Fission", "Shield", "Gamma"),
        name_suffixes=("Nuclear", "Nuclear Engineering", "Nuclear Services"),
        places={"Derby": 5.0, "South Derbyshire": 2.0, "Birmingham": 1.2},
        size="mfg",
        age="old",
        turnover_per_employee=130_000,
        anchors=1,
        vague=("engineering consultancy", "safety consultancy"),
    ),
    Profile(
        key="advanced-materials",
        count=70,
        sic=("23440", "20160", "20590", "24450", "25610", "22290", "71200", "23190"),
        generic_sic=("72190", "71200", "70229", "82990", "74909", "46750"),
        p_generic=0.3,
        descriptors=(
            "advanced materials company",
            "technical ceramics manufacturer",
            "composites manufacturer",
            "materials testing laboratory",
            "surface engineering specialist",
            "speciality alloys producer",
        ),
        verbs=("develop and manufacture", "produce", "engineer", "supply"),
        products=(
            "technical ceramics",
            "carbon fibre composite parts",
            "metal powders for additive manufacturing",
            "thermal spray coatings",
            "graphene-enhanced polymers",
            "titanium alloys",
            "nickel superalloy castings",
            "ceramic matrix composites",
            "high-performance polymer compounds",
            "functional coatings",
            "nanomaterials",
            "glass-ceramic components",
            "sintered powder metallurgy parts",
        ),
        methods=(
            "materials characterisation",
            "metallurgical testing",
            "scanning electron microscopy",
            "vacuum heat treatment",
            "autoclave curing",
            "plasma spraying",
            "hot isostatic pressing",
        ),
        customers=(
            "aerospace and automotive manufacturers",
            "medical device makers",
            "energy companies",
            "electronics manufacturers",
            "research institutes",
        ),
        extras=(
            "The company grew out of the Midlands' ceramics and metals tradition.",
            "New materials are taken from laboratory samples to production volumes.",
            "The testing laboratory is UKAS accredited.",
        ),
        filing=(
            "the manufacture of technical ceramics",
            "the development of advanced materials",
            "materials testing services",
        ),
        name_stems=("Cera", "Fibre", "Alloy", "Nano", "Poly", "Graph", "Titan", "Sinter"),
        name_suffixes=("Materials", "Ceramics", "Composites", "Coatings", "Alloys"),
        places={
            "Stoke-on-Trent": 4.0,
            "Staffordshire Moorlands": 2.0,
            "Newcastle-under-Lyme": 2.0,
            "Birmingham": 1.5,
            "Sandwell": 1.5,
            "Dudley": 1.5,
            "Derby": 1.3,
            "Nottingham": 1.3,
            "Coventry": 1.3,
            "Wolverhampton": 1.3,
            "Charnwood": 1.3,
        },
        size="mfg",
        age="old",
        turnover_per_employee=140_000,
        anchors=1,
        vague=("manufacturing company", "testing laboratory"),
    ),
    Profile(
        key="robotics-automation",
        count=90,
        sic=("28990", "28490", "33200", "26512", "28290", "71121"),
        generic_sic=("71129", "62012", "70229", "82990", "74909", "46690"),
        p_generic=0.3,
        descriptors=(
            "automation systems integrator",
            "robotics company",
            "industrial automation specialist",
            "additive manufacturing bureau",
            "special purpose machinery builder",
            "Industry 4.0 consultancy",
        ),
        verbs=("design and supply", "deliver", "provide"),
        products=(
            "robotic welding cells",
            "collaborative robot palletisers",
            "machine vision inspection systems",
            "end-of-line automation",
            "special purpose assembly machines",
            "metal 3D printed parts",
            "digital twins of production lines",
            "industrial IoT sensors",
            "predictive maintenance software",
            "SCADA systems",
            "automated guided vehicles",
            "manufacturing execution systems",
            "robotic machine tending",
        ),
        methods=(
            "PLC programming",
            "robot simulation",
            "safety system design",
            "additive manufacturing in titanium and polymers",
            "vision system integration",
            "OPC UA connectivity",
            "lean and Industry 4.0 audits",
        ),
        customers=(
            "food manufacturers",
            "automotive suppliers",
            "pharmaceutical packers",
            "aerospace machine shops",
            "SME manufacturers adopting Industry 4.0",
            "logistics operators",
        ),
        extras=(
            "Robot cells are built and tested in the {town} workshop before installation.",
            "The company is a certified integrator for several robot brands.",
            "Manufacturers see payback on automation projects within two years.",
        ),
        filing=(
            "the design and build of automation systems",
            "robotics systems integration",
            "additive manufacturing services",
        ),
        name_stems=("Robo", "Auto", "Cobot", "Servo", "Vision", "Cell", "Logic", "Smart"),
        name_suffixes=("Automation", "Robotics", "Systems", "Additive", "Industrial"),
        places={
            "Coventry": 2.0,
            "Birmingham": 1.5,
            "Wolverhampton": 1.5,
            "Telford and Wrekin": 2.0,
            "Charnwood": 1.5,
            "Nottingham": 1.3,
            "Leicester": 1.3,
            "Dudley": 1.3,
            "Walsall": 1.3,
        },
        size="mfg",
        turnover_per_employee=120_000,
        vague=("engineering company", "control systems company", "machine builder"),
    ),
    Profile(
        key="electronics-photonics",
        count=60,
        sic=("26110", "26120", "26511", "26512", "26701", "27110", "27120", "27900"),
        generic_sic=("71129", "72190", "70229", "82990", "74909", "46520"),
        p_generic=0.3,
        descriptors=(
            "electronics design company",
            "power electronics specialist",
            "photonics company",
            "electronics manufacturing services provider",
            "sensor developer",
            "laser systems manufacturer",
        ),
        verbs=("design and manufacture", "develop", "assemble", "engineer"),
        products=(
            "power converters",
            "embedded control boards",
            "PCB assemblies",
            "fibre laser systems",
            "optical sensors",
            "silicon carbide power modules",
            "RF modules",
            "precision optics",
            "LED driver electronics",
            "printed electronics",
            "FPGA-based data acquisition systems",
            "electric machine controllers",
            "infrared cameras",
        ),
        methods=(
            "embedded firmware",
            "EMC testing",
            "surface-mount assembly",
            "thermal design",
            "optical design",
            "compound semiconductor packaging",
            "hardware and firmware co-design",
        ),
        customers=(
            "industrial OEMs",
            "defence primes",
            "energy companies",
            "instrumentation makers",
            "automotive suppliers",
            "research laboratories",
        ),
        extras=(
            "Boards are designed and assembled under one roof in {town}.",
            "The company collaborates with university power electronics researchers.",
            "Products are exported to customers in Europe, the US and Asia.",
        ),
        filing=(
            "the design and manufacture of electronic equipment",
            "electronics design services",
            "the manufacture of laser systems",
        ),
        name_stems=("Volt", "Photon", "Lumen", "Circuit", "Flux", "Signal", "Opti", "Quantum"),
        name_suffixes=(
            "Electronics",
            "Photonics",
            "Power Electronics",
            "Sensors",
            "Lasers",
            "Optics",
        ),
        places={
            "Nottingham": 2.0,
            "Coventry": 1.5,
            "Warwick": 1.5,
            "Birmingham": 1.5,
            "Leicester": 1.5,
            "Malvern Hills": 3.0,
            "Worcester": 1.5,
            "Lincoln": 1.5,
            "Northampton": 1.3,
        },
        size="mfg",
        turnover_per_employee=120_000,
        anchors=1,
        vague=("engineering company", "design consultancy", "technology company"),
    ),
    Profile(
        key="construction-tech",
        count=35,
        sic=("16230", "25110", "41201", "41202", "62012", "71129", "23610"),
        generic_sic=("43999", "71129", "70229", "82990", "74909"),
        p_generic=0.3,
        descriptors=(
            "modular construction company",
            "offsite manufacturer",
            "construction technology start-up",
            "timber frame manufacturer",
            "BIM consultancy",
        ),
        verbs=("deliver", "provide", "design and deliver"),
        products=(
            "volumetric modular homes",
            "panelised timber frame systems",
            "cross-laminated timber structures",
            "light gauge steel frame buildings",
            "modular classrooms",
            "BIM models",
            "construction project software",
            "3D laser scans of sites",
            "drone surveys of construction sites",
            "precast concrete components",
            "prefabricated bathroom pods",
        ),
        methods=(
            "offsite factory production",
            "building information modelling",
            "design for manufacture and assembly",
            "reality capture",
            "digital twins of buildings",
        ),
        customers=(
            "housing associations",
            "main contractors",
            "local authorities",
            "house builders",
            "schools and colleges",
        ),
        extras=(
            "Homes are built in a factory in {town} and craned into place in days.",
            "Modern methods of construction cut waste and time on site.",
            "The factory produces hundreds of modules a year.",
        ),
        filing=(
            "the manufacture of modular buildings",
            "offsite construction",
            "the development of construction software",
        ),
        name_stems=("Modu", "Frame", "Pod", "Build", "Panel", "Cube", "Struct"),
        name_suffixes=("Modular", "Offsite", "Build Tech", "Homes", "Structures"),
        places={
            "Birmingham": 1.5,
            "Nottingham": 1.3,
            "Derby": 1.3,
            "Telford and Wrekin": 1.5,
            "Stoke-on-Trent": 1.3,
            "Coventry": 1.3,
        },
        size="tech",
        age="young",
        turnover_per_employee=150_000,
        vague=("construction company", "building design consultancy"),
    ),
    Profile(
        key="ai-data",
        count=100,
        sic=("62012", "62090", "63110", "72190", "62020", "58290"),
        generic_sic=("62020", "70229", "82990", "74909", "63990"),
        p_generic=0.35,
        descriptors=(
            "AI company",
            "machine learning start-up",
            "data science consultancy",
            "computer vision company",
            "applied AI business",
        ),
        verbs=("build", "develop", "deliver"),
        products=(
            "computer vision models",
            "natural language processing tools",
            "predictive analytics software",
            "an AI platform for document processing",
            "machine learning models for demand forecasting",
            "chatbots built on large language models",
            "anomaly detection for sensor data",
            "recommendation engines",
            "speech recognition software",
            "knowledge graphs",
            "data engineering pipelines",
            "generative AI assistants",
        ),
        methods=(
            "deep learning",
            "MLOps",
            "model evaluation and monitoring",
            "data engineering",
            "responsible AI governance",
            "neural network optimisation",
            "synthetic data generation",
        ),
        customers=(
            "retailers",
            "insurers",
            "manufacturers",
            "public sector bodies",
            "utilities",
            "universities",
            "scale-up software companies",
        ),
        extras=(
            "Models move from proof of concept to production in weeks.",
            "The team of data scientists and machine learning engineers works from {town}.",
            "The company partners with university AI research groups.",
            "Clients keep their data in their own cloud; the models go to the data.",
        ),
        filing=(
            "the development of artificial intelligence software",
            "data science and machine learning services",
        ),
        name_stems=("Neur", "Cogn", "Deep", "Data", "Tensor", "Vector", "Sense", "Insight"),
        name_suffixes=("AI", "Analytics", "Data", "Intelligence", "Labs"),
        places={
            "Birmingham": 2.0,
            "Nottingham": 2.0,
            "Leicester": 1.5,
            "Coventry": 1.5,
            "Warwick": 1.5,
            "Charnwood": 1.3,
        },
        size="tech",
        age="young",
        turnover_per_employee=90_000,
        vague=("software consultancy", "technology company", "IT consultancy"),
    ),
    Profile(
        key="cyber-defence",
        count=70,
        sic=("62020", "62012", "62090", "80200", "25400", "30400", "26309"),
        generic_sic=("62020", "70229", "74909", "82990"),
        p_generic=0.3,
        descriptors=(
            "cyber security company",
            "defence technology company",
            "penetration testing firm",
            "managed security services provider",
            "secure communications specialist",
        ),
        verbs=("provide", "deliver", "supply"),
        products=(
            "penetration testing",
            "a 24/7 security operations centre",
            "threat intelligence feeds",
            "incident response retainers",
            "identity and access management",
            "zero trust network design",
            "vulnerability assessments",
            "secure communications equipment",
            "defence electronics",
            "counter-drone systems",
            "encryption products",
            "digital forensics",
            "rugged military computers",
        ),
        methods=(
            "CREST-accredited testing",
            "Cyber Essentials Plus certification",
            "ISO 27001 consultancy",
            "security-cleared engineers",
            "red teaming",
            "malware analysis",
        ),
        customers=(
            "the Ministry of Defence",
            "defence primes",
            "police forces",
            "financial services firms",
            "critical national infrastructure",
            "local authorities",
            "manufacturers hit by ransomware",
        ),
        extras=(
            "Staff hold UK security clearances.",
            "The company is part of the Midlands cyber security community.",
            "The business is an MoD supplier with a secure facility.",
            "Analysts monitor customer networks around the clock.",
        ),
        filing=(
            "cyber security consultancy and services",
            "the design and manufacture of defence electronic systems",
        ),
        name_stems=(
            "Cipher",
            "Shield",
            "Sentinel",
            "Bastion",
            "Secure",
            "Aegis",
            "Vigil",
            "Citadel",
        ),
        name_suffixes=("Cyber", "Security", "Defence", "Cyber Security", "Defence Systems"),
        places={
            "Malvern Hills": 4.0,
            "Worcester": 2.0,
            "Wychavon": 1.5,
            "Herefordshire": 2.0,
            "Birmingham": 1.5,
            "Shropshire": 1.3,
            "Telford and Wrekin": 1.5,
            "Stafford": 1.5,
        },
        size="tech",
        turnover_per_employee=100_000,
        anchors=1,
        vague=("IT consultancy", "technology services company"),
    ),
    Profile(
        key="software-platforms",
        count=150,
        sic=("62012", "58290", "62090", "63110", "62020"),
        generic_sic=("62020", "70229", "82990", "74909"),
        p_generic=0.2,
        descriptors=(
            "software company",
            "SaaS company",
            "software product company",
            "app development studio",
            "B2B software business",
        ),
        verbs=("build", "develop", "design and build", "sell"),
        products=(
            "a SaaS platform for field service teams",
            "job management software for trades",
            "a CRM platform for estate agents",
            "ERP software for manufacturers",
            "booking software for gyms and salons",
            "workflow automation software",
            "a low-code platform",
            "developer tools for API testing",
            "a mobile app for event ticketing",
            "compliance software for construction",
            "property management software",
            "subscription billing software",
            "HR and payroll software",
            "a multi-tenant platform for membership organisations",
        ),
        methods=(
            "cloud-native architecture",
            "continuous delivery",
            "user-centred design",
            "integrations with accounting and payment systems",
            "mobile app development",
            "a public API",
        ),
        customers=(
            "small businesses",
            "housing associations",
            "manufacturers",
            "membership organisations",
            "recruitment agencies",
            "retailers",
            "customers in more than 20 countries",
        ),
        extras=(
            "Customers subscribe monthly and get new features every few weeks.",
            "The product roadmap is shaped by a customer advisory group.",
            "The platform handles millions of transactions a month.",
            "The development team works from an office in {town}.",
        ),
        filing=(
            "the development and sale of software",
            "the provision of software as a service",
            "software development",
        ),
        name_stems=("Cloud", "Stack", "App", "Flow", "Byte", "Pixel", "Code", "Sync", "Loop"),
        name_suffixes=("Software", "Apps", "Technologies", "Labs", "Digital", "Systems"),
        places={
            "Birmingham": 2.0,
            "Nottingham": 2.0,
            "Leicester": 1.5,
            "Coventry": 1.5,
            "Warwick": 1.5,
            "Solihull": 1.5,
            "Northampton": 1.3,
            "Derby": 1.2,
        },
        size="tech",
        turnover_per_employee=90_000,
        vague=("IT company", "technology company", "digital agency"),
    ),
    Profile(
        key="creative-games",
        count=110,
        sic=("62011", "58210", "59120", "59112", "90030", "74100", "59111"),
        generic_sic=("62012", "70229", "82990", "74909", "73110"),
        p_generic=0.25,
        descriptors=(
            "games studio",
            "independent games developer",
            "animation studio",
            "VFX house",
            "immersive technology studio",
            "virtual production company",
        ),
        verbs=("create", "deliver", "produce"),
        products=(
            "console games",
            "mobile games",
            "indie games for PC",
            "animated series",
            "visual effects for film and television",
            "virtual reality training experiences",
            "augmented reality apps",
            "immersive museum installations",
            "game art and animation",
            "motion capture services",
            "virtual production stages",
            "game audio and sound design",
            "esports tournament broadcasts",
        ),
        methods=(
            "Unreal Engine",
            "Unity game engine",
            "real-time rendering",
            "motion capture",
            "procedural animation",
            "spatial audio",
            "cross-platform porting",
        ),
        customers=(
            "game publishers",
            "broadcasters",
            "streaming platforms",
            "museums",
            "brands",
            "players on Steam, PlayStation, Xbox and Switch",
        ),
        extras=(
            "The studio is part of the Midlands games community.",
            "The latest title launched on Steam and consoles this year.",
            "Artists, programmers and designers work from a studio in {town}.",
            "The team grew from three founders to a studio of game developers.",
        ),
        filing=(
            "the development of computer games",
            "animation and visual effects",
            "the production of immersive digital content",
        ),
        name_stems=("Pixel", "Quest", "Arcade", "Lantern", "Fox", "Rogue", "Spark", "Frame"),
        name_suffixes=("Games", "Studios", "Interactive", "Animation", "Immersive", "VFX"),
        places={
            "Warwick": 5.0,
            "Birmingham": 2.0,
            "Nottingham": 2.0,
            "Derby": 1.5,
            "Coventry": 1.5,
            "Leicester": 1.3,
            "Stoke-on-Trent": 1.2,
            "Lincoln": 1.2,
        },
        size="tech",
        age="young",
        turnover_per_employee=70_000,
        vague=("creative studio", "digital agency", "media company"),
    ),
    Profile(
        key="fintech",
        count=35,
        sic=("62012", "64999", "66190", "64929", "63110", "82990"),
        generic_sic=("62020", "70229", "74909", "82990"),
        p_generic=0.3,
        descriptors=(
            "fintech company",
            "payments company",
            "regtech start-up",
            "insurtech business",
            "lending platform",
        ),
        verbs=("build", "operate", "develop", "provide"),
        products=(
            "a payments platform",
            "an open banking app",
            "a payment gateway",
            "embedded finance APIs",
            "a lending platform for small businesses",
            "credit scoring models",
            "KYC and anti-money laundering software",
            "an insurtech claims app",
            "a digital wallet",
            "buy now pay later checkout",
            "wealth management software",
            "blockchain settlement infrastructure",
        ),
        methods=(
            "FCA authorisation",
            "open banking APIs",
            "PCI DSS compliance",
            "real-time fraud detection",
            "banking-as-a-service integrations",
        ),
        customers=(
            "banks",
            "building societies",
            "online retailers",
            "small businesses",
            "insurers",
            "wealth managers",
            "credit unions",
        ),
        extras=(
            "The company is authorised by the FCA as a payment institution.",
            "The platform processes payments for thousands of merchants.",
            "Many customers are in the financial services sector of the {region}.",
        ),
        filing=(
            "the provision of payment services",
            "the development of financial technology software",
        ),
        name_stems=("Pay", "Ledger", "Coin", "Fin", "Vault", "Mint", "Credit", "Sterling"),
        name_suffixes=("Pay", "Fintech", "Payments", "Finance Technology", "Money"),
        places={
            "Birmingham": 3.0,
            "Nottingham": 2.0,
            "Solihull": 1.5,
            "Leicester": 1.3,
            "Northampton": 2.0,
            "Coventry": 1.3,
            "Derby": 1.2,
        },
        size="startup",
        age="young",
        turnover_per_employee=120_000,
        vague=("software company", "financial services company"),
    ),
    Profile(
        key="edtech",
        count=30,
        sic=("62012", "85590", "85600", "58290", "63120"),
        generic_sic=("62020", "70229", "82990", "74909", "85590"),
        p_generic=0.35,
        descriptors=(
            "edtech company",
            "learning technology company",
            "education software company",
            "e-learning developer",
        ),
        verbs=("build", "develop", "create", "design"),
        products=(
            "a learning platform for schools",
            "adaptive maths software",
            "an online assessment platform",
            "a school management information system",
            "virtual classroom software",
            "a homework app",
            "gamified learning apps",
            "simulation-based training for nurses",
            "an e-learning authoring tool",
            "a learning management system for apprentices",
            "micro-credential platforms",
        ),
        methods=(
            "adaptive learning algorithms",
            "curriculum-aligned content",
            "learning analytics",
            "accessibility by design",
        ),
        customers=(
            "primary schools",
            "secondary schools",
            "multi-academy trusts",
            "colleges",
            "universities",
            "employers training apprentices",
        ),
        extras=(
            "The platform is used by thousands of pupils across the {region}.",
            "Teachers helped design every feature.",
            "The software is aligned to the national curriculum.",
        ),
        filing=(
            "the development of educational software",
            "the provision of online learning platforms",
        ),
        name_stems=("Learn", "Class", "Tutor", "Quiz", "Skill", "Mind", "Scholar"),
        name_suffixes=("Learning", "EdTech", "Education Technology", "Academy Software"),
        places={
            "Birmingham": 2.0,
            "Nottingham": 1.5,
            "Coventry": 1.5,
            "Leicester": 1.5,
            "Warwick": 1.3,
            "Charnwood": 1.3,
        },
        size="startup",
        age="young",
        turnover_per_employee=80_000,
        vague=("education company", "software company", "training company"),
    ),
    Profile(
        key="food-drink",
        count=110,
        sic=(
            "10130",
            "10710",
            "10720",
            "10821",
            "10850",
            "10890",
            "11050",
            "11010",
            "10512",
            "10110",
            "11070",
            "10390",
            "11030",
            "10840",
        ),
        generic_sic=("46390", "82990", "70229", "46380", "82920"),
        p_generic=0.2,
        descriptors=(
            "food manufacturer",
            "craft brewery",
            "gin distillery",
            "bakery manufacturer",
            "ready meals producer",
            "meat processor",
            "confectionery manufacturer",
            "dairy business",
            "contract food producer",
        ),
        verbs=("make", "produce", "manufacture"),
        products=(
            "ready meals",
            "pork pies",
            "Stilton and other cheeses",
            "cask and keg beers",
            "craft gin",
            "artisan bread for supermarkets",
            "chocolate confectionery",
            "sauces and condiments",
            "chilled desserts",
            "cider",
            "plant-based meat alternatives",
            "soft drinks",
            "frozen pizzas",
            "bacon and sausages",
            "biscuits and cakes",
            "food ingredients",
        ),
        methods=(
            "BRCGS AA-grade accreditation",
            "SALSA accreditation",
            "HACCP food safety",
            "co-packing and private label",
            "shelf-life extension",
            "new product development kitchens",
        ),
        customers=(
            "the retail multiples",
            "foodservice wholesalers",
            "pubs and bars",
            "farm shops and delis",
            "export customers",
            "own-label customers",
        ),
        extras=(
            "Products are made to the company's own recipes in {town}.",
            "The site supplies own-label ranges to several major supermarkets.",
            "The brewery's beers are stocked in pubs across {county}.",
            "Local {county} ingredients are used wherever possible.",
        ),
        filing=(
            "the manufacture of food products",
            "brewing",
            "the production of ready meals",
            "the distilling of spirits",
            "food manufacturing",
        ),
        name_stems=("Harvest", "Mill", "Meadow", "Brook", "Orchard", "Copper", "Hop", "Barley"),
        name_suffixes=("Foods", "Brewery", "Distillery", "Bakery", "Kitchen", "Dairy", "Drinks"),
        places={
            "Melton": 3.0,
            "South Holland": 4.0,
            "Boston": 3.0,
            "East Staffordshire": 3.0,
            "Leicester": 1.5,
            "Lincoln": 1.5,
            "East Lindsey": 2.0,
            "South Kesteven": 1.5,
            "Herefordshire": 2.5,
            "Wychavon": 2.0,
            "Shropshire": 2.0,
            "Northampton": 1.3,
            "Bassetlaw": 1.3,
            "Derbyshire Dales": 1.5,
        },
        size="mfg",
        age="old",
        turnover_per_employee=160_000,
        anchors=3,
        vague=("family business", "manufacturing company"),
    ),
    Profile(
        key="agri-tech",
        count=22,
        sic=("01610", "01130", "01300", "28302", "72110", "72190", "62012", "01640"),
        generic_sic=("72190", "70229", "82990", "74909", "46610"),
        p_generic=0.35,
        descriptors=(
            "agri-tech company",
            "precision farming business",
            "vertical farming company",
            "farm robotics start-up",
            "crop science company",
        ),
        verbs=("develop", "supply", "develop and supply"),
        products=(
            "soil sensing probes",
            "variable rate application maps",
            "yield mapping software",
            "crop monitoring drones",
            "vertical farms growing salad leaves",
            "hydroponic growing systems",
            "weeding robots",
            "livestock monitoring collars",
            "biostimulants",
            "plant breeding programmes",
            "farm management software",
            "smart irrigation controllers",
            "autonomous tractor kits",
        ),
        methods=(
            "precision agriculture",
            "controlled environment agriculture",
            "crop genetics",
            "machine learning on field data",
            "LED growing recipes",
            "field trials",
        ),
        customers=(
            "arable farmers",
            "potato and vegetable growers",
            "dairy farmers",
            "agronomists",
            "food processors",
            "glasshouse growers",
        ),
        extras=(
            "Field trials run on farms across Lincolnshire.",
            "The company works with agricultural researchers at Harper Adams and Lincoln.",
            "Growers cut fertiliser use while keeping yields.",
        ),
        filing=(
            "the development of agricultural technology",
            "precision farming services",
            "vertical farming",
        ),
        name_stems=("Agri", "Crop", "Field", "Soil", "Grow", "Harvest", "Acre", "Seed"),
        name_suffixes=("Agritech", "Agri-Tech", "Farming Technology", "Growing", "Crop Science"),
        places={
            "Lincoln": 3.0,
            "North Kesteven": 2.5,
            "South Holland": 3.0,
            "Boston": 2.0,
            "East Lindsey": 2.0,
            "West Lindsey": 2.0,
            "South Kesteven": 1.5,
            "Herefordshire": 3.0,
            "Shropshire": 3.0,
            "Telford and Wrekin": 3.0,
            "Wychavon": 2.0,
            "Rushcliffe": 2.0,
            "Melton": 1.5,
        },
        size="startup",
        age="young",
        turnover_per_employee=100_000,
        vague=("agricultural services company", "farming business"),
    ),
)


@dataclass(frozen=True)
class Combo:
    """A multi-cluster company: two leaf clusters and text that bridges them."""

    clusters: tuple[str, str]
    count: int
    descriptors: tuple[str, ...]
    products: tuple[str, ...]
    extras: tuple[str, ...]
    filing: tuple[str, ...]


COMBOS: tuple[Combo, ...] = (
    Combo(
        ("ai-data", "medtech"),
        16,
        ("medical imaging AI company", "AI diagnostics company"),
        (
            "AI software that reads chest X-rays",
            "deep learning for CT and MRI scans",
            "computer vision for digital pathology slides",
            "AI-assisted ultrasound guidance",
        ),
        (
            "The algorithms are regulated as a medical device and carry a UKCA mark.",
            "Radiologists use the software to prioritise urgent scans.",
        ),
        ("the development of AI software for medical imaging",),
    ),
    Combo(
        ("space-tech", "agri-tech"),
        8,
        ("satellite data company for farming", "Earth observation agri-tech business"),
        (
            "satellite imagery for crop monitoring",
            "Earth observation maps of soil moisture",
            "yield forecasts from satellite data",
        ),
        ("Satellite images of every field are analysed weekly for growers.",),
        ("the provision of satellite data services to agriculture",),
    ),
    Combo(
        ("ai-data", "digital-health"),
        10,
        ("health AI company", "clinical AI start-up"),
        (
            "machine learning that predicts hospital readmissions",
            "natural language processing of clinical notes",
            "AI triage for GP practices",
        ),
        ("Models are trained on anonymised NHS data under strict governance.",),
        ("the development of artificial intelligence for healthcare",),
    ),
    Combo(
        ("robotics-automation", "agri-tech"),
        8,
        ("agricultural robotics company", "farm automation company"),
        ("robotic strawberry pickers", "autonomous weeding robots", "robotic milking integration"),
        ("The robots work around the clock during harvest.",),
        ("the development of agricultural robots",),
    ),
    Combo(
        ("aerospace", "space-tech"),
        6,
        ("aerospace and space engineering company",),
        ("satellite structures", "launch vehicle components", "space-qualified brackets"),
        ("The same machining cells serve aircraft and spacecraft programmes.",),
        ("the manufacture of aerospace and space components",),
    ),
    Combo(
        ("aerospace", "advanced-materials"),
        10,
        ("aerospace composites company",),
        (
            "carbon fibre composite aerostructures",
            "ceramic matrix composite engine parts",
            "thermal barrier coatings for turbine blades",
        ),
        ("Materials are qualified to aerospace specifications.",),
        ("the manufacture of composite components for aerospace",),
    ),
    Combo(
        ("automotive-ev", "advanced-materials"),
        8,
        ("battery materials company", "battery recycling company"),
        (
            "cathode materials for EV batteries",
            "recycled battery black mass",
            "lightweight composite battery enclosures",
        ),
        ("End-of-life EV batteries are recovered for their critical minerals.",),
        ("the production of battery materials",),
    ),
    Combo(
        ("cyber-defence", "ai-data"),
        10,
        ("AI security company",),
        (
            "machine learning threat detection",
            "AI-driven security operations",
            "anomaly detection for network traffic",
        ),
        ("Models flag attacks that signature-based tools miss.",),
        ("the development of AI-based cyber security software",),
    ),
    Combo(
        ("fintech", "ai-data"),
        8,
        ("AI lending company", "fintech data science company"),
        ("machine learning credit scoring", "AI fraud detection for payments"),
        ("Lenders approve more applicants without raising default rates.",),
        ("the development of AI software for financial services",),
    ),
    Combo(
        ("hydrogen", "automotive-ev"),
        8,
        ("hydrogen vehicle company",),
        (
            "hydrogen fuel cell vans",
            "fuel cell range extenders for buses",
            "hydrogen combustion engines for heavy trucks",
        ),
        ("Demonstrator vehicles run on green hydrogen from a local refuelling station.",),
        ("the development of hydrogen-powered vehicles",),
    ),
    Combo(
        ("nuclear", "robotics-automation"),
        6,
        ("nuclear robotics company",),
        (
            "remote handling robots for nuclear decommissioning",
            "radiation-tolerant inspection robots",
        ),
        ("Robots go where people cannot on nuclear sites.",),
        ("the design of robotic systems for the nuclear industry",),
    ),
    Combo(
        ("rail", "low-carbon-energy"),
        6,
        ("rail decarbonisation company",),
        (
            "battery-electric trains",
            "rail electrification systems",
            "energy storage for rail depots",
        ),
        ("The work helps remove diesel trains from the network.",),
        ("rail electrification engineering",),
    ),
    Combo(
        ("creative-games", "edtech"),
        8,
        ("educational games studio",),
        (
            "educational games for primary schools",
            "VR training simulations",
            "gamified science lessons",
        ),
        ("Teachers use the games to explain hard concepts.",),
        ("the development of educational games",),
    ),
    Combo(
        ("logistics-tech", "robotics-automation"),
        8,
        ("warehouse robotics company",),
        ("autonomous mobile robots for picking", "robotic parcel sorters"),
        ("Robots bring shelves to pickers in distribution centres.",),
        ("the design and supply of warehouse robots",),
    ),
    Combo(
        ("construction-tech", "low-carbon-energy"),
        8,
        ("net zero modular homes builder",),
        ("zero-carbon modular homes", "Passivhaus timber frame houses with solar PV"),
        ("Every home is built in the factory with a heat pump and solar panels fitted.",),
        ("the manufacture of energy-efficient modular homes",),
    ),
    Combo(
        ("electronics-photonics", "automotive-ev"),
        8,
        ("power electronics company for electric vehicles",),
        (
            "silicon carbide inverters for EVs",
            "on-board chargers",
            "DC-DC converters for electric vans",
        ),
        ("The power electronics are designed for 800 V vehicle architectures.",),
        ("the design of power electronics for electric vehicles",),
    ),
    Combo(
        ("pharma-biotech", "ai-data"),
        8,
        ("AI drug discovery company",),
        (
            "machine learning for drug discovery",
            "AI-designed antibody candidates",
            "predictive toxicology models",
        ),
        ("Models narrow millions of molecules down to a few worth making.",),
        ("the application of artificial intelligence to drug discovery",),
    ),
    Combo(
        ("food-drink", "agri-tech"),
        5,
        ("vertical farm and salad producer",),
        ("salad leaves grown in a vertical farm", "microgreens for supermarkets"),
        ("Leaves are grown without soil under LEDs and packed on site.",),
        ("vertical farming and the production of packed salads",),
    ),
)

# =============================================================================================
# Content: businesses in no cluster
# =============================================================================================

NEAR_MISS_PROFILES: tuple[Profile, ...] = (
    Profile(
        key="pharmacy",
        count=20,
        sic=("47730",),
        generic_sic=("47749", "86900"),
        p_generic=0.15,
        descriptors=("independent community pharmacy", "family-run chemist"),
        verbs=("offer", "provide"),
        products=(
            "NHS prescriptions",
            "flu and travel vaccinations",
            "repeat prescription collection and delivery",
            "blood pressure checks",
            "over-the-counter medicines",
            "advice on minor ailments",
            "the NHS Pharmacy First service",
        ),
        customers=("patients in {town}", "local GP surgeries", "care homes nearby"),
        extras=(
            "The pharmacist is happy to talk through your medicines.",
            "Free prescription delivery to housebound patients.",
            "Open six days a week on the high street in {town}.",
        ),
        filing=("the operation of a retail pharmacy", "dispensing chemist"),
        name_suffixes=("Pharmacy", "Chemist", "Chemists"),
        size="micro",
        turnover_per_employee=150_000,
    ),
    Profile(
        key="car-dealer",
        count=25,
        sic=("45112", "45111", "45190"),
        generic_sic=("45200",),
        p_generic=0.2,
        descriptors=(
            "used car dealership",
            "franchised car dealer",
            "family-run car sales business",
        ),
        verbs=("sell", "supply"),
        products=(
            "quality used cars",
            "nearly new electric and hybrid cars",
            "vans and 4x4s",
            "approved used vehicles",
            "prestige and sports cars",
            "family hatchbacks",
        ),
        customers=("drivers across {county}", "local businesses needing vans"),
        extras=(
            "Every car is HPI checked and comes with a fresh MOT.",
            "Part exchange welcome and finance available.",
            "A wide range of electric vehicles is now in stock on the forecourt.",
            "Visit the showroom in {town} for a test drive.",
        ),
        filing=("the sale of motor vehicles", "the retail of used cars"),
        name_suffixes=("Car Sales", "Motors", "Cars", "Motor Company"),
        size="micro",
        turnover_per_employee=300_000,
    ),
    Profile(
        key="garage",
        count=20,
        sic=("45200",),
        generic_sic=("45320", "45112"),
        p_generic=0.2,
        descriptors=("independent garage", "MOT and service centre"),
        verbs=("offer", "carry out"),
        products=(
            "MOTs",
            "servicing and diagnostics",
            "tyres and exhausts",
            "clutch and brake repairs",
            "air conditioning recharges",
            "servicing of hybrid and electric cars",
        ),
        customers=("local motorists", "fleet customers in {town}"),
        extras=(
            "Technicians are trained to work safely on electric and hybrid vehicles.",
            "Courtesy cars available on request.",
        ),
        filing=("the maintenance and repair of motor vehicles",),
        name_suffixes=("Garage", "Autos", "Auto Centre", "Motor Services"),
        size="micro",
        turnover_per_employee=90_000,
    ),
    Profile(
        key="farm",
        count=22,
        sic=("01110", "01410", "01500", "01130", "01460"),
        generic_sic=("68209",),
        p_generic=0.1,
        descriptors=("family farm", "arable farm", "mixed farm", "dairy farm"),
        verbs=("produce",),
        products=(
            "wheat, barley and oilseed rape",
            "potatoes and sugar beet",
            "milk from a herd of Holstein cows",
            "beef cattle and sheep",
            "free-range eggs",
            "vegetables for wholesale markets",
        ),
        customers=("grain merchants", "the local livestock market", "a milk buyer"),
        extras=(
            "The family has farmed here for four generations.",
            "Hedgerows and field margins are managed for wildlife under a stewardship scheme.",
            "The farm also lets a converted barn as holiday accommodation.",
        ),
        filing=("farming", "mixed farming", "the growing of cereals"),
        name_suffixes=("Farms", "Farming", "Farm Partnership"),
        size="micro",
        age="old",
        turnover_per_employee=120_000,
    ),
    Profile(
        key="cafe-bakery",
        count=22,
        sic=("56102", "10710", "56103", "47240"),
        generic_sic=("56101",),
        p_generic=0.1,
        descriptors=("independent cafe and bakery", "coffee shop", "sandwich bar"),
        verbs=("serve", "offer"),
        products=(
            "fresh bread and cakes baked every morning",
            "breakfasts and lunches",
            "sandwiches and salads to take away",
            "speciality coffee",
            "celebration cakes to order",
            "afternoon teas",
        ),
        customers=("shoppers and office workers in {town}", "local families"),
        extras=(
            "Everything is made fresh in the kitchen behind the counter.",
            "Outside catering for meetings and parties.",
            "Find the cafe in the market square in {town}.",
        ),
        filing=("the operation of a cafe", "the retail sale of bakery products"),
        name_suffixes=("Cafe", "Bakery", "Coffee House", "Kitchen"),
        size="hospitality",
        turnover_per_employee=45_000,
    ),
    Profile(
        key="restaurant",
        count=12,
        sic=("56101",),
        generic_sic=("56302",),
        p_generic=0.2,
        descriptors=("restaurant", "gastropub", "family restaurant"),
        verbs=("serve", "cook"),
        products=(
            "seasonal menus with locally sourced produce",
            "Sunday roasts",
            "Indian cuisine",
            "Italian dishes and wood-fired pizza",
            "private dining for celebrations",
        ),
        customers=("diners from across {county}", "local families"),
        extras=(
            "Book a table online or call the restaurant.",
            "Ingredients come from farms within twenty miles of {town}.",
        ),
        filing=("the operation of a licensed restaurant",),
        name_suffixes=("Restaurant", "Kitchen", "Bistro", "Grill"),
        size="hospitality",
        turnover_per_employee=45_000,
    ),
    Profile(
        key="workspace",
        count=16,
        sic=("68209", "82110", "52103"),
        generic_sic=("68320",),
        p_generic=0.2,
        descriptors=(
            "flexible workspace provider",
            "self-storage business",
            "serviced office provider",
        ),
        verbs=("let", "provide", "operate"),
        products=(
            "flexible office space",
            "coworking desks",
            "meeting rooms",
            "self-storage units",
            "secure storage space for businesses",
            "virtual office addresses",
        ),
        customers=(
            "start-ups and freelancers",
            "small businesses in {town}",
            "households moving home",
        ),
        extras=(
            "Space is available on flexible monthly terms.",
            "The building has fast broadband, parking and a cafe.",
            "Need more space? Units range from 25 to 500 square feet.",
        ),
        filing=("the letting of office space", "the operation of self-storage facilities"),
        name_suffixes=("Workspace", "Business Centre", "Self Storage", "Space"),
        size="micro",
        turnover_per_employee=120_000,
    ),
    Profile(
        key="it-contractor",
        count=40,
        sic=("62020", "62012", "62090"),
        generic_sic=("70229",),
        p_generic=0.1,
        descriptors=(
            "IT contracting company",
            "independent IT consultancy",
            "freelance software contractor",
        ),
        verbs=("provide", "deliver", "supply"),
        products=(
            "IT contracting services",
            "SQL reporting and data analysis",
            "project management for IT change programmes",
            "Java development on client sites",
            "business analysis",
            "SAP consultancy",
            "test management",
        ),
        customers=(
            "banks and insurers",
            "public sector organisations",
            "clients through recruitment agencies",
            "a retail group",
        ),
        extras=(
            "The director works on contract assignments for clients in the {region} and London.",
            "Services are provided by the company's sole director.",
            "Assignments are typically six to twelve months.",
        ),
        filing=(
            "information technology consultancy",
            "IT contracting services",
            "computer consultancy",
        ),
        name_suffixes=("IT Consulting", "Consulting", "IT Services", "Solutions"),
        size="micro",
        age="young",
        turnover_per_employee=110_000,
    ),
    Profile(
        key="it-support",
        count=25,
        sic=("62020", "95110", "62090", "46510"),
        generic_sic=("62030",),
        p_generic=0.1,
        descriptors=("IT support company", "computer repair shop", "managed IT services provider"),
        verbs=("offer", "provide"),
        products=(
            "IT support for small offices",
            "laptop and PC repairs",
            "anti-virus and backup",
            "Microsoft 365 set-up",
            "office networks and Wi-Fi",
            "refurbished computers",
            "telephone systems",
        ),
        customers=("small businesses in {town}", "schools", "home users", "GP surgeries"),
        extras=(
            "Fixed monthly support contracts with no call-out charges.",
            "Drop your laptop in at the shop for a free diagnosis.",
            "Remote support is available the same day.",
        ),
        filing=("the provision of IT support services", "computer repair"),
        name_suffixes=("IT", "Computers", "IT Support", "Technology Services"),
        size="micro",
        turnover_per_employee=80_000,
    ),
    Profile(
        key="web-design",
        count=20,
        sic=("62012", "74100", "73110", "63120"),
        generic_sic=("62090",),
        p_generic=0.1,
        descriptors=("web design agency", "digital marketing agency", "graphic design studio"),
        verbs=("offer", "provide"),
        products=(
            "websites for small businesses",
            "search engine optimisation",
            "social media campaigns",
            "logos and brand identity",
            "WordPress sites",
            "e-commerce shops on Shopify",
            "Google Ads management",
        ),
        customers=("local businesses", "tradespeople", "charities", "start-ups in {town}"),
        extras=(
            "Affordable website packages with hosting included.",
            "The agency has helped hundreds of {county} businesses get found online.",
        ),
        filing=("web design", "marketing and design services"),
        name_suffixes=("Web Design", "Digital", "Creative", "Marketing", "Media"),
        size="micro",
        turnover_per_employee=70_000,
    ),
    Profile(
        key="security-guarding",
        count=20,
        sic=("80100", "80200", "80300", "43210"),
        generic_sic=("81100",),
        p_generic=0.1,
        descriptors=(
            "security company",
            "security guarding firm",
            "alarm and CCTV installer",
            "locksmith",
        ),
        verbs=("provide", "offer"),
        products=(
            "manned guarding",
            "key holding and alarm response",
            "CCTV systems",
            "intruder alarms",
            "door supervisors for events",
            "locks and access control",
            "mobile patrols",
        ),
        customers=("retail parks", "construction sites", "homeowners", "events in {town}"),
        extras=(
            "All officers are SIA licensed.",
            "The company is NSI Gold approved for alarm and CCTV installation.",
            "A 24-hour control room monitors customer sites.",
        ),
        filing=("the provision of security services", "the installation of security systems"),
        name_suffixes=("Security", "Security Services", "Locksmiths", "Guarding"),
        size="micro",
        turnover_per_employee=40_000,
    ),
    Profile(
        key="electrician",
        count=22,
        sic=("43210",),
        generic_sic=("43290", "43999"),
        p_generic=0.15,
        descriptors=("electrical contractor", "domestic electrician"),
        verbs=("offer", "carry out"),
        products=(
            "rewires",
            "consumer unit upgrades",
            "lighting and sockets",
            "electrical installation condition reports",
            "commercial fit-outs",
            "fire alarm systems",
            "outdoor lighting",
        ),
        customers=("homeowners", "landlords", "shops and offices in {town}", "builders"),
        extras=(
            "NICEIC approved contractor.",
            "Free quotations and all work certified.",
            "Covering {town} and surrounding villages.",
        ),
        filing=("electrical installation", "electrical contracting"),
        name_suffixes=("Electrical", "Electrical Services", "Electrics", "Electrical Contractors"),
        size="micro",
        turnover_per_employee=110_000,
    ),
    Profile(
        key="heating-engineer",
        count=16,
        sic=("43220",),
        generic_sic=("43290",),
        p_generic=0.1,
        descriptors=("plumbing and heating company", "gas engineer"),
        verbs=("offer", "provide"),
        products=(
            "gas boiler installations",
            "hydrogen-ready boilers",
            "bathroom refits",
            "central heating repairs",
            "annual boiler services",
            "landlord gas safety certificates",
            "unvented hot water cylinders",
        ),
        customers=("homeowners", "landlords", "letting agents in {town}"),
        extras=(
            "Gas Safe registered engineers.",
            "Boilers come with up to ten years' warranty.",
            "Emergency call-outs across {county}.",
        ),
        filing=("plumbing and heating services",),
        name_suffixes=("Plumbing", "Heating", "Plumbing and Heating", "Gas Services"),
        size="micro",
        turnover_per_employee=100_000,
    ),
    Profile(
        key="haulier",
        count=25,
        sic=("49410",),
        generic_sic=("52103", "52290", "49420"),
        p_generic=0.2,
        descriptors=("road haulage company", "family haulier", "transport company"),
        verbs=("offer", "provide"),
        products=(
            "full and part loads",
            "pallet distribution",
            "temperature-controlled haulage",
            "container haulage from the ports",
            "warehousing and storage",
            "tipper hire",
        ),
        customers=(
            "manufacturers",
            "retail distribution centres",
            "builders' merchants",
            "farmers",
        ),
        extras=(
            "The fleet of modern tractor units runs from a depot in {town}.",
            "Drivers hold ADR certificates for hazardous goods.",
            "Member of a national pallet network.",
        ),
        filing=("road haulage", "freight transport by road"),
        name_suffixes=("Haulage", "Transport", "Logistics", "Freight"),
        size="micro",
        turnover_per_employee=120_000,
    ),
    Profile(
        key="courier",
        count=10,
        sic=("53202", "53201"),
        generic_sic=("49410",),
        p_generic=0.2,
        descriptors=("courier company", "same-day delivery service"),
        verbs=("offer", "provide"),
        products=(
            "same-day courier services",
            "multi-drop parcel delivery",
            "medical sample delivery",
            "document courier services",
        ),
        customers=("local businesses", "online retailers", "hospitals"),
        extras=("Vans available 24 hours a day.", "Nationwide delivery from {town}."),
        filing=("courier services",),
        name_suffixes=("Couriers", "Express", "Deliveries"),
        size="micro",
        turnover_per_employee=70_000,
    ),
    Profile(
        key="tutoring",
        count=16,
        sic=("85590", "85600", "85520"),
        generic_sic=("85100",),
        p_generic=0.1,
        descriptors=("tutoring agency", "training provider", "learning centre"),
        verbs=("offer", "provide"),
        products=(
            "maths and English tuition",
            "11-plus preparation",
            "GCSE revision courses",
            "online lessons by video call",
            "first aid training courses",
            "forklift training",
            "music lessons",
        ),
        customers=("pupils and parents in {town}", "local employers", "adult learners"),
        extras=(
            "All tutors are qualified teachers with DBS checks.",
            "Small classes at the learning centre in {town}.",
        ),
        filing=("the provision of tuition services", "training services"),
        name_suffixes=("Tuition", "Tutors", "Training", "Learning Centre"),
        size="micro",
        turnover_per_employee=40_000,
    ),
    Profile(
        key="driving-school",
        count=8,
        sic=("85530",),
        generic_sic=("85590",),
        p_generic=0.1,
        descriptors=("driving school",),
        verbs=("offer",),
        products=(
            "driving lessons",
            "intensive driving courses",
            "lessons in electric and automatic cars",
            "motorway lessons",
        ),
        customers=("learners across {town}",),
        extras=("High first-time pass rate.", "DVSA approved driving instructors."),
        filing=("driving school",),
        name_suffixes=("Driving School", "School of Motoring"),
        size="micro",
        turnover_per_employee=35_000,
    ),
    Profile(
        key="accountant",
        count=25,
        sic=("69201", "69202", "69203"),
        generic_sic=("70221",),
        p_generic=0.1,
        descriptors=(
            "firm of chartered accountants",
            "bookkeeping practice",
            "accountancy practice",
        ),
        verbs=("provide", "offer"),
        products=(
            "annual accounts and tax returns",
            "payroll and VAT",
            "cloud accounting with Xero and QuickBooks",
            "bookkeeping",
            "business advice and cash flow forecasts",
            "Making Tax Digital compliance",
        ),
        customers=("small businesses", "sole traders", "landlords", "charities"),
        extras=(
            "Fixed monthly fees agreed in advance.",
            "The practice has served clients in {town} for over thirty years.",
            "Certified Xero advisers.",
        ),
        filing=("accountancy services", "chartered accountants"),
        name_suffixes=("Accountants", "Accountancy", "Chartered Accountants", "Bookkeeping"),
        size="micro",
        turnover_per_employee=75_000,
    ),
    Profile(
        key="broker",
        count=14,
        sic=("66190", "66220", "64999"),
        generic_sic=("70221",),
        p_generic=0.1,
        descriptors=("mortgage broker", "insurance broker", "independent financial adviser"),
        verbs=("arrange", "advise on"),
        products=(
            "residential mortgages",
            "buy-to-let mortgages",
            "life insurance",
            "business insurance",
            "pensions and investments",
            "equity release",
        ),
        customers=("first-time buyers", "landlords", "families", "local businesses"),
        extras=(
            "The firm is authorised and regulated by the Financial Conduct Authority.",
            "Whole-of-market advice from the office in {town}.",
        ),
        filing=("mortgage and insurance broking", "financial advice"),
        name_suffixes=("Financial Services", "Mortgages", "Insurance Brokers", "Wealth"),
        size="micro",
        turnover_per_employee=90_000,
    ),
    Profile(
        key="care-provider",
        count=22,
        sic=("87300", "88100", "86102", "87100"),
        generic_sic=("86900",),
        p_generic=0.15,
        descriptors=("residential care home", "home care agency", "nursing home"),
        verbs=("provide", "deliver"),
        products=(
            "residential and dementia care",
            "home care visits",
            "respite care",
            "nursing care",
            "live-in care",
            "support for adults with learning disabilities",
        ),
        customers=("older people in {town}", "families", "the local authority", "the NHS"),
        extras=(
            "Rated Good by the Care Quality Commission.",
            "Care plans are kept on a digital care records system.",
            "A friendly team of carers available around the clock.",
        ),
        filing=("the provision of residential care", "domiciliary care services"),
        name_suffixes=("Care", "Care Home", "Care Services", "Homecare"),
        size="care",
        turnover_per_employee=35_000,
    ),
    Profile(
        key="clinic",
        count=16,
        sic=("86230", "86900", "86220", "96040"),
        generic_sic=("86210",),
        p_generic=0.1,
        descriptors=(
            "dental practice",
            "physiotherapy clinic",
            "private clinic",
            "aesthetics clinic",
        ),
        verbs=("offer", "provide"),
        products=(
            "NHS and private dentistry",
            "dental implants and Invisalign",
            "physiotherapy and sports massage",
            "hearing tests",
            "skin treatments",
            "private GP appointments",
            "chiropody",
        ),
        customers=("patients in {town}", "families", "athletes"),
        extras=("New patients welcome.", "Modern treatment rooms with the latest equipment."),
        filing=("dental practice", "physiotherapy services", "private medical services"),
        name_suffixes=("Dental Practice", "Physio", "Clinic", "Dental Care"),
        size="micro",
        turnover_per_employee=70_000,
    ),
    Profile(
        key="travel",
        count=8,
        sic=("79110", "79120"),
        generic_sic=("79909",),
        p_generic=0.1,
        descriptors=("independent travel agent", "tour operator"),
        verbs=("arrange", "organise"),
        products=(
            "rail holidays across Europe",
            "coach tours",
            "cruises",
            "group travel",
            "tailor-made holidays",
        ),
        customers=("holidaymakers from {town}", "schools", "clubs and societies"),
        extras=("ABTA and ATOL protected.",),
        filing=("travel agency",),
        name_suffixes=("Travel", "Holidays", "Tours"),
        size="micro",
        turnover_per_employee=150_000,
    ),
    Profile(
        key="printing-photo",
        count=22,
        sic=("18129", "74201", "74209", "59112", "90030", "90010"),
        generic_sic=("74100",),
        p_generic=0.1,
        descriptors=(
            "print shop",
            "wedding photographer",
            "event videographer",
            "freelance artist",
            "function band",
        ),
        verbs=("offer", "provide"),
        products=(
            "business cards and flyers",
            "wedding photography",
            "wedding films",
            "portraits",
            "commissioned paintings",
            "live music for weddings",
            "large-format banners",
            "signs and vehicle graphics",
        ),
        customers=("couples", "local businesses", "families", "event organisers"),
        extras=(
            "Based in {town}, covering the whole of {county}.",
            "Check availability for your date.",
        ),
        filing=("printing", "photography", "artistic creation", "performing arts"),
        name_suffixes=("Print", "Photography", "Films", "Art", "Music"),
        size="micro",
        turnover_per_employee=45_000,
    ),
    Profile(
        key="scrap-metal",
        count=10,
        sic=("38320", "46770", "38110"),
        generic_sic=("49410",),
        p_generic=0.1,
        descriptors=("scrap metal merchant", "skip hire and recycling company"),
        verbs=("offer", "provide"),
        products=(
            "scrap copper, brass and aluminium",
            "end-of-life vehicles",
            "skip hire",
            "waste collection for businesses",
            "cable stripping",
        ),
        customers=("tradespeople", "householders", "builders"),
        extras=("Best prices paid for all metals.", "Licensed waste carrier."),
        filing=("the recovery of sorted materials", "waste collection"),
        name_suffixes=("Metals", "Recycling", "Skip Hire", "Waste Management"),
        size="micro",
        turnover_per_employee=180_000,
    ),
    Profile(
        key="builder",
        count=22,
        sic=("41202", "43999", "43390", "41201"),
        generic_sic=("43910",),
        p_generic=0.15,
        descriptors=("building contractor", "family building firm", "property developer"),
        verbs=("deliver", "offer"),
        products=(
            "house extensions",
            "loft conversions",
            "new-build homes",
            "kitchen and bathroom refurbishments",
            "commercial refurbishments",
            "groundworks and driveways",
        ),
        customers=("homeowners", "landlords", "developers in {county}"),
        extras=(
            "Fully insured, with free no-obligation quotes.",
            "Member of the Federation of Master Builders.",
        ),
        filing=("building construction", "the construction of domestic buildings"),
        name_suffixes=("Builders", "Construction", "Building Services", "Developments"),
        size="micro",
        turnover_per_employee=140_000,
    ),
    Profile(
        key="job-shop",
        count=20,
        sic=("25620", "25990", "25110", "33120"),
        generic_sic=("28990",),
        p_generic=0.05,
        descriptors=(
            "general engineering company",
            "fabrication and welding business",
            "subcontract machine shop",
        ),
        verbs=("offer", "supply"),
        products=(
            "steel fabrications",
            "gates and railings",
            "CNC turned parts",
            "agricultural machinery repairs",
            "structural steelwork",
            "welding repairs",
            "one-off parts from drawings",
        ),
        customers=("farmers", "quarries", "builders", "local manufacturers"),
        extras=("No job too small.", "Mobile welding service available across {county}."),
        filing=("general engineering", "fabrication and welding"),
        name_suffixes=("Engineering", "Fabrications", "Welding", "Precision Engineering"),
        size="micro",
        age="old",
        turnover_per_employee=90_000,
    ),
    Profile(
        key="fitness",
        count=8,
        sic=("93130", "96040"),
        generic_sic=("93199",),
        p_generic=0.1,
        descriptors=("independent gym", "fitness studio"),
        verbs=("offer", "run"),
        products=(
            "personal training",
            "group fitness classes",
            "gym memberships",
            "health and wellbeing programmes",
        ),
        customers=("members in {town}",),
        extras=("No joining fee this month.",),
        filing=("the operation of a gym",),
        name_suffixes=("Fitness", "Gym", "Health Club"),
        size="micro",
        turnover_per_employee=40_000,
    ),
    Profile(
        key="garden-pet",
        count=8,
        sic=("47760", "01300"),
        generic_sic=("47190",),
        p_generic=0.1,
        descriptors=("garden centre", "plant nursery", "pet and garden supplies shop"),
        verbs=("sell",),
        products=(
            "bedding plants",
            "seeds and compost",
            "garden furniture",
            "pet food",
            "Christmas trees",
        ),
        customers=("gardeners across {county}",),
        extras=("The coffee shop is open daily.",),
        filing=("the operation of a garden centre",),
        name_suffixes=("Garden Centre", "Nurseries", "Pet and Garden"),
        size="micro",
        turnover_per_employee=80_000,
    ),
)

PIVOT_COUNT = 30
"""Companies in no cluster whose SIC code is a cluster code they no longer trade under."""
PIVOT_OLD = (
    "designed electronic sensors",
    "made medical devices",
    "developed mobile games",
    "machined aerospace parts",
    "installed solar panels",
    "developed software for schools",
    "manufactured ready meals",
    "built robotic welding cells",
    "offered cyber security audits",
    "carried out biotechnology research",
)
PIVOT_NEW = (  # (what the company does now, a SIC code of that activity)
    ("letting its former industrial unit in {town}", "68209"),
    ("holding investments on behalf of its shareholders", "64209"),
    ("providing management consultancy to a single client", "70229"),
    ("letting residential property in {town}", "68209"),
    ("buying and selling used machinery", "46690"),
)

# Sentence pools for businesses in no cluster, by SIC section (fallback: DEFAULT_SECTION).
SECTION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "A": {
        "desc": ("family farm", "agricultural business", "smallholding"),
        "cust": ("merchants", "local markets", "neighbouring farms"),
        "names": ("Farms", "Farming", "Agriculture"),
    },
    "C": {
        "desc": ("manufacturing business", "small manufacturer", "workshop"),
        "cust": ("trade customers", "distributors", "retailers", "local businesses"),
        "names": ("Manufacturing", "Products", "Industries", "Works"),
    },
    "E": {
        "desc": ("waste and recycling business", "environmental services company"),
        "cust": ("councils", "businesses", "householders"),
        "names": ("Recycling", "Environmental", "Waste Services"),
    },
    "F": {
        "desc": ("building contractor", "construction company", "trades business"),
        "cust": ("homeowners", "landlords", "housing associations", "main contractors"),
        "names": ("Construction", "Builders", "Contractors", "Building Services"),
    },
    "G": {
        "desc": ("retailer", "trading company", "wholesale business", "shop"),
        "cust": (
            "local shoppers",
            "online customers across the UK",
            "trade customers",
            "independent retailers",
        ),
        "names": ("Trading", "Supplies", "Stores", "Wholesale", "Retail"),
    },
    "H": {
        "desc": ("transport business", "haulage and storage company"),
        "cust": ("manufacturers", "retailers", "private clients"),
        "names": ("Transport", "Travel", "Logistics"),
    },
    "I": {
        "desc": ("hospitality business", "catering company", "family-run business"),
        "cust": ("locals and visitors", "families", "office workers"),
        "names": ("Kitchen", "Inn", "Catering", "Hospitality"),
    },
    "J": {
        "desc": ("publishing and media business", "communications company"),
        "cust": ("readers", "advertisers", "businesses"),
        "names": ("Media", "Publishing", "Communications"),
    },
    "K": {
        "desc": ("financial services business", "investment company", "holding company"),
        "cust": ("clients", "shareholders", "businesses"),
        "names": ("Holdings", "Investments", "Capital", "Finance"),
    },
    "L": {
        "desc": ("property company", "letting agency", "property investment business"),
        "cust": ("tenants", "landlords", "buyers and sellers"),
        "names": ("Properties", "Estates", "Property Management", "Lettings"),
    },
    "M": {
        "desc": ("consultancy", "professional services firm", "practice"),
        "cust": (
            "small and medium-sized businesses",
            "owner-managed businesses",
            "charities",
            "public bodies",
        ),
        "names": ("Consulting", "Associates", "Partners", "Advisory"),
    },
    "N": {
        "desc": ("support services company", "agency", "facilities business"),
        "cust": ("offices", "schools", "commercial landlords", "employers"),
        "names": ("Services", "Solutions", "Recruitment", "Cleaning"),
    },
    "P": {
        "desc": ("education provider", "training business"),
        "cust": ("learners", "schools", "employers"),
        "names": ("Training", "Education", "Academy"),
    },
    "Q": {
        "desc": ("health and care provider", "care business", "clinic"),
        "cust": ("clients and their families", "the local authority", "patients"),
        "names": ("Care", "Health", "Support Services"),
    },
    "R": {
        "desc": ("leisure business", "arts organisation", "sports club"),
        "cust": ("members", "audiences", "visitors"),
        "names": ("Leisure", "Arts", "Sports", "Events"),
    },
    "S": {
        "desc": ("local service business", "membership organisation", "salon"),
        "cust": ("clients", "members", "local residents"),
        "names": ("Services", "Association", "Studio"),
    },
}
DIVISION_DESC: dict[str, tuple[str, ...]] = {
    "45": ("motor trade business", "vehicle sales and repair business"),
    "46": ("wholesaler", "wholesale distributor", "trade supplier"),
    "47": ("retailer", "independent shop", "online retailer"),
    "49": ("transport company", "haulage business"),
    "55": ("hotel", "guest house", "holiday accommodation business"),
    "56": ("restaurant", "takeaway", "cafe", "pub"),
    "64": ("holding company", "investment company"),
    "66": ("broker", "financial services firm"),
    "68": ("property company", "property investment business", "letting agency"),
    "69": ("accountancy practice", "law firm", "bookkeeping business"),
    "70": ("management consultancy", "business consultancy"),
    "71": ("architectural practice", "engineering consultancy", "surveying practice"),
    "73": ("marketing agency", "advertising agency", "market research business"),
    "74": ("consultancy", "professional services business"),
    "77": ("hire company", "leasing business"),
    "78": ("recruitment agency", "staffing business"),
    "79": ("travel company", "tour operator"),
    "80": ("security company",),
    "81": ("cleaning company", "facilities management business", "landscaping business"),
    "82": ("business support company", "business services company"),
    "85": ("training provider", "education business"),
    "86": ("healthcare practice", "private clinic"),
    "87": ("care home", "residential care provider"),
    "88": ("care and support provider", "day nursery", "community organisation"),
    "90": ("arts business", "creative freelancer", "theatre company"),
    "93": ("sports and leisure business", "sports club", "leisure business"),
    "94": ("membership organisation", "association", "community organisation"),
    "95": ("repair business", "repair shop"),
    "96": ("personal services business", "salon", "local service business"),
    "98": ("residents' management company",),
}
DEFAULT_SECTION = {
    "desc": ("business", "company"),
    "cust": ("customers", "clients"),
    "names": ("Services", "Enterprises", "Group"),
}
GENERIC_EXTRAS = (
    "Fully insured, with free no-obligation quotes.",
    "Family-run since {year}.",
    "Covering {town} and the wider {region}.",
    "Open Monday to Saturday.",
    "Reliable, friendly service at a fair price.",
    "Please call or email for more information.",
    "Find us just outside {town} centre, with free parking.",
    "All work is fully guaranteed.",
    "Established in {year} and still independently owned.",
)

# Where clusters are absent (no cluster company may draw these codes as "generic" ones and no
# business in no cluster may draw them from the real frequency table): divisions and codes
# whose activity phrases would make a human analyst assign a cluster.
CLUSTER_DIVISIONS = {"10", "11", "21", "26", "27", "29", "30", "35", "59", "62", "63", "72"}
CLUSTER_CODES = {
    "01640",
    "20110",
    "20120",
    "20130",
    "20140",
    "20150",
    "20160",
    "20170",
    "20200",
    "20301",
    "20302",
    "20510",
    "20520",
    "20530",
    "20590",
    "20600",
    "23190",
    "23200",
    "23430",
    "23440",
    "24450",
    "24460",
    "25400",
    "28110",
    "28990",
    "32500",
    "33160",
    "33170",
    "58210",
    "58290",
    "61300",
    "71121",
    "84220",
}
SIGNAL_RE = re.compile(
    r"aircraft|aerospace|aero[- ]?engine|spacecraft|satellite|rocket|surgical|orthop|prosthe"
    r"|x-ray|electromedical|pharmac|drug|vaccin|biotech|nuclear|radioactiv|reactor|solar"
    r"|photovoltaic|wind turbine|heat pump|battery|accumulator|electric vehicle|hydrogen"
    r"|fuel cell|robot|software|computer|data processing|cyber|drone|laser|semiconductor"
    r"|genetic|video game|animation|virtual reality|railway|locomotive|rolling stock|tram"
    r"|military|weapon|ammunition|missile|medical (?:instrument|equipment|device|apparatus)",
    re.IGNORECASE,
)

# =============================================================================================
# Geography: the main town, county and a coarse "business density" weight of each local
# authority that the postcode lookup reaches (a hand-set weighting toward cities: core city
# 4-9, large town 2-3, rest 1-1.5; it is an assumption of this generator, not a statistic).
# =============================================================================================

LAD_INFO: dict[str, tuple[str, str, float]] = {
    "Amber Valley": ("Ripley", "Derbyshire", 1.2),
    "Ashfield": ("Sutton-in-Ashfield", "Nottinghamshire", 1.2),
    "Bassetlaw": ("Worksop", "Nottinghamshire", 1.2),
    "Birmingham": ("Birmingham", "the West Midlands", 9.0),
    "Blaby": ("Enderby", "Leicestershire", 1.0),
    "Bolsover": ("Bolsover", "Derbyshire", 0.8),
    "Boston": ("Boston", "Lincolnshire", 0.8),
    "Bromsgrove": ("Bromsgrove", "Worcestershire", 1.0),
    "Broxtowe": ("Beeston", "Nottinghamshire", 1.0),
    "Cannock Chase": ("Cannock", "Staffordshire", 1.0),
    "Charnwood": ("Loughborough", "Leicestershire", 1.8),
    "Chesterfield": ("Chesterfield", "Derbyshire", 1.2),
    "Corby": ("Corby", "Northamptonshire", 0.8),
    "Coventry": ("Coventry", "the West Midlands", 3.5),
    "Daventry": ("Daventry", "Northamptonshire", 1.0),
    "Derby": ("Derby", "Derbyshire", 3.0),
    "Derbyshire Dales": ("Matlock", "Derbyshire", 1.0),
    "Dudley": ("Dudley", "the Black Country", 2.8),
    "East Lindsey": ("Louth", "Lincolnshire", 1.2),
    "East Northamptonshire": ("Rushden", "Northamptonshire", 1.0),
    "East Staffordshire": ("Burton upon Trent", "Staffordshire", 1.2),
    "Erewash": ("Ilkeston", "Derbyshire", 1.0),
    "Gedling": ("Arnold", "Nottinghamshire", 1.0),
    "Harborough": ("Market Harborough", "Leicestershire", 1.2),
    "Herefordshire": ("Hereford", "Herefordshire", 2.2),
    "High Peak": ("Buxton", "Derbyshire", 1.0),
    "Hinckley and Bosworth": ("Hinckley", "Leicestershire", 1.2),
    "Kettering": ("Kettering", "Northamptonshire", 1.0),
    "Leicester": ("Leicester", "Leicestershire", 4.0),
    "Lichfield": ("Lichfield", "Staffordshire", 1.1),
    "Lincoln": ("Lincoln", "Lincolnshire", 1.3),
    "Malvern Hills": ("Malvern", "Worcestershire", 0.9),
    "Mansfield": ("Mansfield", "Nottinghamshire", 1.0),
    "Melton": ("Melton Mowbray", "Leicestershire", 0.7),
    "Newark and Sherwood": ("Newark-on-Trent", "Nottinghamshire", 1.1),
    "Newcastle-under-Lyme": ("Newcastle-under-Lyme", "Staffordshire", 1.1),
    "North East Derbyshire": ("Dronfield", "Derbyshire", 0.9),
    "North Kesteven": ("Sleaford", "Lincolnshire", 1.0),
    "North Warwickshire": ("Coleshill", "Warwickshire", 0.8),
    "North West Leicestershire": ("Coalville", "Leicestershire", 1.1),
    "Northampton": ("Northampton", "Northamptonshire", 3.0),
    "Nottingham": ("Nottingham", "Nottinghamshire", 4.0),
    "Nuneaton and Bedworth": ("Nuneaton", "Warwickshire", 1.0),
    "Oadby and Wigston": ("Oadby", "Leicestershire", 0.6),
    "Redditch": ("Redditch", "Worcestershire", 0.9),
    "Rugby": ("Rugby", "Warwickshire", 1.1),
    "Rushcliffe": ("West Bridgford", "Nottinghamshire", 1.2),
    "Sandwell": ("West Bromwich", "the Black Country", 2.6),
    "Shropshire": ("Shrewsbury", "Shropshire", 3.0),
    "Solihull": ("Solihull", "the West Midlands", 2.6),
    "South Derbyshire": ("Swadlincote", "Derbyshire", 1.0),
    "South Holland": ("Spalding", "Lincolnshire", 0.9),
    "South Kesteven": ("Grantham", "Lincolnshire", 1.3),
    "South Northamptonshire": ("Towcester", "Northamptonshire", 1.1),
    "South Staffordshire": ("Codsall", "Staffordshire", 1.0),
    "Stafford": ("Stafford", "Staffordshire", 1.3),
    "Staffordshire Moorlands": ("Leek", "Staffordshire", 0.9),
    "Stoke-on-Trent": ("Stoke-on-Trent", "Staffordshire", 2.5),
    "Stratford-on-Avon": ("Stratford-upon-Avon", "Warwickshire", 1.8),
    "Telford and Wrekin": ("Telford", "Shropshire", 1.5),
    "Walsall": ("Walsall", "the Black Country", 2.3),
    "Warwick": ("Leamington Spa", "Warwickshire", 2.0),
    "Wellingborough": ("Wellingborough", "Northamptonshire", 0.8),
    "West Lindsey": ("Gainsborough", "Lincolnshire", 1.0),
    "Wolverhampton": ("Wolverhampton", "the Black Country", 2.4),
    "Worcester": ("Worcester", "Worcestershire", 1.1),
    "Wychavon": ("Evesham", "Worcestershire", 1.4),
    "Wyre Forest": ("Kidderminster", "Worcestershire", 1.0),
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
"""Letters used in the inward code of UK postcodes (C, I, K, M, O and V are never used)."""

# =============================================================================================
# Sizes, ages and legal forms
# =============================================================================================

# (min employees, max employees, probability) per size profile
SIZE_BANDS: dict[str, tuple[tuple[int, int, float], ...]] = {
    "micro": (
        (1, 1, 0.30),
        (2, 4, 0.36),
        (5, 9, 0.17),
        (10, 49, 0.13),
        (50, 249, 0.035),
        (250, 999, 0.004),
        (1000, 3000, 0.001),
    ),
    "mfg": (
        (1, 4, 0.30),
        (5, 9, 0.20),
        (10, 49, 0.35),
        (50, 249, 0.125),
        (250, 999, 0.02),
        (1000, 4000, 0.005),
    ),
    "tech": (
        (1, 4, 0.46),
        (5, 9, 0.21),
        (10, 49, 0.26),
        (50, 249, 0.06),
        (250, 999, 0.008),
        (1000, 3000, 0.002),
    ),
    "startup": ((1, 4, 0.50), (5, 9, 0.22), (10, 49, 0.23), (50, 249, 0.05)),
    "care": ((1, 9, 0.25), (10, 49, 0.42), (50, 249, 0.30), (250, 999, 0.03)),
    "hospitality": ((1, 4, 0.35), (5, 9, 0.30), (10, 49, 0.30), (50, 249, 0.05)),
    "property": ((1, 1, 0.62), (2, 4, 0.30), (5, 9, 0.06), (10, 49, 0.02)),
}
# (probability, kind, parameter): exponential ages with the given mean in years, or a
# uniform age between 25 and 75 years
AGE_MODELS: dict[str, tuple[tuple[float, str, float], ...]] = {
    "young": ((0.62, "exp", 4.0), (0.33, "exp", 10.0), (0.05, "old", 0.0)),
    "mixed": ((0.50, "exp", 6.0), (0.35, "exp", 15.0), (0.15, "old", 0.0)),
    "old": ((0.35, "exp", 8.0), (0.40, "exp", 18.0), (0.25, "old", 0.0)),
}
SECTION_SIZE = {"I": "hospitality", "Q": "care", "L": "property", "K": "property", "C": "mfg"}
SECTION_TURNOVER = {
    "A": 90_000,
    "B": 300_000,
    "C": 130_000,
    "D": 500_000,
    "E": 150_000,
    "F": 140_000,
    "G": 180_000,
    "H": 110_000,
    "I": 45_000,
    "J": 100_000,
    "K": 200_000,
    "L": 200_000,
    "M": 90_000,
    "N": 60_000,
    "O": 60_000,
    "P": 40_000,
    "Q": 35_000,
    "R": 50_000,
    "S": 45_000,
}
DIVISION_TURNOVER = {"45": 250_000, "46": 400_000, "47": 90_000}

PRIVATE = "Private Limited Company"
LLP = "Limited Liability Partnership"
GUARANTEE = "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)"
CIC = "Community Interest Company"
PLC = "Public Limited Company"
GUARANTEE_DIVISIONS = {"94", "98", "91", "88", "90"}
LLP_CODES = {
    "69101",
    "69102",
    "69109",
    "69201",
    "69202",
    "69203",
    "70229",
    "71111",
    "71121",
    "71122",
    "71129",
    "74902",
    "66190",
    "68310",
}

SURNAMES = (
    "Patel",
    "Singh",
    "Khan",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Hughes",
    "Edwards",
    "Turner",
    "Shah",
    "Ahmed",
    "Hussain",
    "Kaur",
    "Mistry",
    "Chauhan",
    "Begum",
    "Sharma",
    "Ali",
    "Bennett",
    "Barker",
    "Hargreaves",
    "Marsden",
    "Fletcher",
    "Cooper",
    "Mason",
    "Harrison",
    "Kowalski",
    "Nowak",
    "Okafor",
    "Mensah",
    "O'Brien",
    "Murphy",
    "Gill",
    "Sandhu",
    "Dhillon",
    "Atwal",
    "Bassi",
    "Chandler",
    "Holloway",
    "Pritchard",
    "Bradshaw",
    "Whitehouse",
    "Foster",
)
PLACE_WORDS = (
    "Trent",
    "Soar",
    "Severn",
    "Derwent",
    "Charnwood",
    "Peak",
    "Wrekin",
    "Malvern",
    "Arden",
    "Mercia",
    "Sherwood",
    "Fosse",
    "Avon",
    "Tame",
    "Dove",
    "Witham",
    "Welland",
    "Nene",
    "Cannock",
    "Clent",
    "Lickey",
    "Cotswold",
    "Teme",
    "Wye",
    "Manifold",
    "Erewash",
    "Anker",
    "Sow",
    "Churnet",
    "Lindsey",
)
ABSTRACT_WORDS = (
    "Apex",
    "Summit",
    "Beacon",
    "Crest",
    "Keystone",
    "Vantage",
    "Meridian",
    "Pinnacle",
    "Oak",
    "Ash",
    "Elm",
    "Willow",
    "Cedar",
    "Kingfisher",
    "Heron",
    "Oakwood",
    "Ivy",
    "Rose",
    "Phoenix",
    "Sterling",
    "Central",
    "Premier",
    "Evergreen",
    "Bluebell",
    "Harbour",
    "Castle",
)
NAME_TAILS = (
    "vance",
    "lix",
    "tek",
    "ora",
    "gen",
    "ex",
    "ium",
    "ify",
    "nova",
    "wave",
    "ara",
    "is",
    "tron",
    "ly",
    "sys",
    "ent",
)

# =============================================================================================
# Text templates
# =============================================================================================
# Tokens {P} {M} {C} {X} {A} take the next unused product, method, customer, extra sentence
# or ONS activity phrase of the company. {Sub} is the subject of the sentence ("We" or, in
# the third person, the company name, "The company", "The business" or "It"); {sub} the same
# in lower case; {Poss} / {poss}, {be}, {have}, {s} and {verb} agree with the voice.

OPEN_FIRST = (
    "We are {a_desc} based in {town}, {county}.",
    "We {verb} {P} for {C}.",
    "At {Name} we {verb} {P} and {P} for {C}.",
    "{Name} is {a_desc} based in {town}. We {verb} {P} for {C}.",
    "Welcome to {Name}, {a_desc} in {town}.",
    "Established in {year}, we are {a_desc} working from {town}.",
    "We are {a_desc} in the {region}, and we {verb} {P}.",
    "From our base in {town}, we {verb} {P} for {C}.",
    "Since {year}, {Name} has served {C} from {town}. We {verb} {P}.",
    "Here at {Name}, we {verb} {P} and {P}.",
    "{Name}: {P} and {P} for {C}.",
)
OPEN_THIRD = (
    "{Name} is {a_desc} based in {town}, {county}.",
    "{Name} {verb} {P} for {C}.",
    "Founded in {year}, {Name} {verb} {P} and {P}.",
    "Based in {town}, {Name} is {a_desc} specialising in {P}.",
    "{Name} is {a_desc} in the {region} that {verb} {P}.",
    "{Name} is {a_desc}. From its base in {town} it {verb} {P} for {C}.",
)
BODY: dict[str, tuple[str, ...]] = {
    "product": (
        "{Poss} range includes {P}, {P} and {P}.",
        "{Sub} also {verb} {P}.",
        "Products include {P} and {P}.",
        "Typical projects include {P} and {P}.",
        "{Sub} {have} built a reputation for {P}.",
        "Recent work includes {P} for {C}.",
        "Alongside {P}, {sub} {verb} {P}.",
    ),
    "method": (
        "{Poss} work draws on {M} and {M}.",
        "The team specialises in {M}.",
        "Capabilities include {M}, {M} and {M}.",
        "{Sub} combine{s} {M} with {M}.",
        "Quality is backed by {M}.",
        "Expertise in {M} is at the heart of the business.",
    ),
    "customer": (
        "Customers include {C}, {C} and {C}.",
        "{Sub} work{s} with {C} and {C} across the UK.",
        "Clients range from {C} to {C}.",
        "{Sub} serve{s} {C} in the {region} and beyond.",
        "{Poss} customers are mainly {C}.",
    ),
    "extra": ("{X}",),
    "place": (
        "{Sub} {have} been based in {town} since {year}.",
        "{Sub} {be} proud to be part of the business community in {county}.",
        "The business moved to larger premises in {town} in {year2}.",
    ),
    "staff": (
        "{Poss} {town} site employs {staff} people.",
        "The team of {staff} works from {town}.",
        "Around {staff} people work for the business.",
    ),
    "ons": (
        "{Poss} activities also cover {A}.",
        "Other services include {A} and {A}.",
        "The company is also registered for {A}.",
    ),
    "close": (
        "Get in touch to discuss your requirements.",
        "Contact the {town} team to find out more.",
        "{Sub} {be} recruiting.",
        "Call or send an enquiry through the website.",
        "Ask for a quotation today.",
    ),
}
GENERIC_OPEN_FIRST = (
    "We are {a_desc} based in {town}, {county}.",
    "We are {a_desc} serving {C} in and around {town}.",
    "From our base in {town}, we serve {C} across {county}.",
    "Since {year}, {Name} has served {C} in {town}.",
    "Established in {year}, we are {a_desc} in {town}.",
    "Welcome to {Name}, {a_desc} in {town}.",
)
GENERIC_OPEN_THIRD = (
    "{Name} is {a_desc} based in {town}, {county}.",
    "Founded in {year}, {Name} is {a_desc} serving {C}.",
    "{Name} is {a_desc} in {town}.",
    "Based in {town}, {Name} is {a_desc}.",
)
GENERIC_BODY: dict[str, tuple[str, ...]] = {
    "activity": (
        "{Poss} work covers {A} and {A}.",
        "Services include {A}.",
        "{Sub} specialise{s} in {A}.",
        "Areas of work: {A}, {A} and {A}.",
        "The main activity is {A}.",
    ),
    "customer": (
        "Customers include {C} and {C}.",
        "{Sub} work{s} with {C} across {county}.",
        "{Poss} clients are mainly {C}.",
    ),
}
FILING_TEMPLATES = (
    "The principal activity of the company is {f}.",
    "The company's principal activity during the year was {f}.",
    "Principal activity: {f}.",
    "The principal activity of the company continued to be {f}.",
    "The principal activity of the company during the year was {f} from its premises in {town}.",
    "The company's principal activity is {f}. There have been no significant changes in the year.",
)
DORMANT_FILINGS = (
    "The company was dormant throughout the year.",
    "The company has not traded during the year and is dormant.",
    "The company did not trade during the year.",
)
PERSON_RE = re.compile(
    r"\b\w*(ist|path|wright|smith|maker|agent|broker|dealer|consultant|practitioner|merchant"
    r"|contractor|nurse|surveyor|designer|engineer|builder|manager|adviser|advisor|operator"
    r"|trainer|instructor|personnel|worker|keeper|teacher|tutor|photographer|valuer"
    r"|auctioneer|accountant|clerk|officer|planner|inspector|assessor|analyst|technician"
    r"|crier|medium|optician|physician|surgeon|midwife|counsellor|coach)s?$"
)
ACTIVITY_KINDS = {
    "manufacture": "the manufacture of",
    "wholesale": "the wholesale of",
    "retail": "the retail sale of",
    "commission agent": "agency sales of",
}
TITLE_ARTICLE_RE = re.compile(
    r"^(manufacture|production|development|construction|sale|retail|wholesale|operation|repair"
    r"|installation|processing|maintenance|management|renting|letting|buying|distribution)\b",
    re.IGNORECASE,
)


# =============================================================================================
# Reference data
# =============================================================================================


@dataclass(frozen=True)
class Lad:
    name: str
    code: str
    region_code: str
    region_name: str
    districts: tuple[str, ...]
    town: str
    county: str
    weight: float


@dataclass(frozen=True)
class Reference:
    titles: dict[str, str]
    counts: dict[str, int]
    activities: dict[str, tuple[str, ...]]
    """Code → ONS index activity phrases, cleaned, without cluster signals."""
    lads: tuple[Lad, ...]


def _clean_activity(raw: str) -> str | None:
    """An ONS index entry as a noun phrase: ``'Gauze (surgical) (manufacture)'`` →
    ``'the manufacture of gauze'``; ``None`` for entries too awkward to use in prose."""
    text = raw.strip()
    match = re.search(r"\(([^()]*)\)\s*$", text)
    kind = match.group(1).strip().lower() if match else ""
    prefix = ACTIVITY_KINDS.get(kind, "")
    text = re.sub(r"\s*\([^()]*\)", "", text).strip(" ,")
    if not text or len(text) > 70 or "." in text or ";" in text:
        return None
    if not (len(text) > 1 and text[1].isupper()):
        text = text[0].lower() + text[1:]
    if prefix and not text.endswith("ing"):  # not "the manufacture of hair pad making"
        return f"{prefix} {text}"
    if prefix:
        return text
    if PERSON_RE.search(text):  # "Homeopath" -> "homeopath services"
        return f"{text} services"
    return text


def load_reference(data_dir: Path) -> Reference:
    """The bundled SIC and geography files this generator draws from."""
    sic_dir, geo_dir = data_dir / "sic", data_dir / "geo"
    condensed = pd.read_csv(
        sic_dir / "companies_house_sic_condensed.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    titles = {
        c: n
        for c, n in zip(condensed["industrial-classification"], condensed["name"], strict=True)
        if re.fullmatch(r"\d{5}", c)
    }
    counts_table = pd.read_csv(
        sic_dir / "companies_house_sic_counts_2017.tsv",
        sep="\t",
        dtype={"industrial-classification": str},
    )
    counts = {
        c: int(n)
        for c, n in zip(
            counts_table["industrial-classification"], counts_table["count"], strict=True
        )
        if re.fullmatch(r"\d{5}", c) and c in titles
    }
    index = pd.read_csv(
        sic_dir / "sic2007_alphabetical_index.csv", dtype=str, keep_default_na=False
    )
    activities: dict[str, list[str]] = {}
    for code, raw in zip(index["uk_sic_2007"], index["activity"], strict=True):
        if SIGNAL_RE.search(raw):
            continue
        phrase = _clean_activity(raw)
        if phrase and phrase not in activities.setdefault(code, []):
            activities[code].append(phrase)

    lookup = pd.read_csv(
        geo_dir / "postcode_district_to_lad2020.csv", dtype=str, keep_default_na=False
    )
    regions = lookup.groupby("postcode_district")["region_name"].nunique()
    single_region = set(regions[regions == 1].index)
    first = lookup[
        (lookup["lad_rank_in_source"] == "1")
        & lookup["region_name"].isin(MIDLANDS)
        & lookup["postcode_district"].isin(single_region)
    ]
    lads = []
    for (name, code, region_code, region_name), rows in first.groupby(
        ["lad_name", "lad_code", "region_code", "region_name"], sort=True
    ):
        if name not in LAD_INFO:
            raise SystemExit(f"no town/county/weight for local authority {name!r} in LAD_INFO")
        town, county, weight = LAD_INFO[name]
        districts = tuple(sorted(rows["postcode_district"], key=_district_order))
        lads.append(Lad(name, code, region_code, region_name, districts, town, county, weight))
    return Reference(titles, counts, {k: tuple(v) for k, v in activities.items()}, tuple(lads))


def _district_order(district: str) -> tuple[str, int, str]:
    match = re.fullmatch(r"([A-Z]+)(\d+)([A-Z]?)", district)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (district, 0, "")


# =============================================================================================
# The generator
# =============================================================================================


@dataclass
class Spec:
    """What one company is, before its details are drawn."""

    case: str
    clusters: tuple[str, ...] = ()
    profile: Profile | None = None
    combo: Combo | None = None
    vague: bool = False
    anchor: bool = False


class Generator:
    """Draws synthetic companies; every random choice goes through one seeded ``random.Random``."""

    def __init__(self, seed: int, ref: Reference, taxonomy: Taxonomy) -> None:
        self.rng = random.Random(seed)
        self.ref = ref
        self.taxonomy = taxonomy
        self.profiles = {p.key: p for p in CLUSTER_PROFILES}
        self._names: set[str] = set()
        self._ids: set[str] = set()
        lad_names = {lad.name for lad in ref.lads}
        for profile in (*CLUSTER_PROFILES, *NEAR_MISS_PROFILES):
            unknown = sorted(set(profile.places) - lad_names)
            if unknown:
                raise SystemExit(f"profile {profile.key}: unknown local authorities {unknown}")
            bad = sorted(c for c in (*profile.sic, *profile.generic_sic) if c not in ref.titles)
            if bad:
                raise SystemExit(f"profile {profile.key}: SIC codes not in SIC 2007: {bad}")
        allowed = [c for c in sorted(ref.counts) if self._generic_allowed(c)]
        self._generic_codes = allowed
        self._generic_weights = [ref.counts[c] for c in allowed]

    # --- plan ---------------------------------------------------------------------------

    def plan(self, n_companies: int) -> list[Spec]:
        rng = self.rng
        specs: list[Spec] = []
        for profile in CLUSTER_PROFILES:
            for i in range(profile.count):
                vague = i >= profile.anchors and rng.random() < 0.15
                specs.append(
                    Spec(
                        "vague" if vague else "cluster",
                        (profile.key,),
                        profile,
                        vague=vague,
                        anchor=i < profile.anchors,
                    )
                )
        for combo in COMBOS:
            specs.extend(
                Spec("multi-cluster", combo.clusters, self.profiles[combo.clusters[0]], combo=combo)
                for _ in range(combo.count)
            )
        for profile in NEAR_MISS_PROFILES:
            specs.extend(
                Spec(f"near-miss:{profile.key}", (), profile) for _ in range(profile.count)
            )
        specs.extend(Spec("sic-mismatch") for _ in range(PIVOT_COUNT))
        if len(specs) > n_companies:
            raise SystemExit(f"--n-companies must be at least {len(specs)}")
        specs.extend(Spec("generic") for _ in range(n_companies - len(specs)))
        rng.shuffle(specs)
        return specs

    # --- drawing helpers ----------------------------------------------------------------

    def _generic_allowed(self, code: str) -> bool:
        return (
            code[:2] not in CLUSTER_DIVISIONS
            and code not in CLUSTER_CODES
            and (code in {"99999", "74990", "98000"} or bool(self.ref.activities.get(code)))
        )

    def _weighted(self, codes: Sequence[str], power: float = 0.5) -> str:
        weights = [max(self.ref.counts.get(c, 1), 1) ** power for c in codes]
        return self.rng.choices(list(codes), weights=weights)[0]

    def _n_codes(self, cluster: bool) -> int:
        weights = (0.62, 0.25, 0.09, 0.04) if cluster else (0.87, 0.08, 0.03, 0.02)
        return self.rng.choices((1, 2, 3, 4), weights=weights)[0]

    def sic_codes(self, spec: Spec) -> list[str]:
        rng = self.rng
        if spec.case == "generic":
            first = rng.choices(self._generic_codes, weights=self._generic_weights)[0]
            codes = [first]
            if first not in {"99999", "74990"}:
                same_section = [
                    c for c in self._generic_codes if c[:2] == first[:2] or c[:1] == first[:1]
                ]
                for _ in range(self._n_codes(False) - 1):
                    codes.append(self._weighted(same_section, power=1.0))
            return list(dict.fromkeys(codes))
        if spec.case == "sic-mismatch":
            profile = rng.choice(CLUSTER_PROFILES)
            return [rng.choice(profile.sic)]
        profile = spec.profile
        assert profile is not None
        if not spec.clusters:  # near miss
            first = (
                self._weighted(profile.generic_sic)
                if profile.generic_sic and rng.random() < profile.p_generic
                else self._weighted(profile.sic)
            )
            extra = [
                self._weighted(profile.sic + profile.generic_sic)
                for _ in range(self._n_codes(False) - 1)
            ]
            return list(dict.fromkeys([first, *extra]))
        pool_specific = list(profile.sic)
        pool_generic = list(profile.generic_sic)
        if spec.combo:
            other = self.profiles[spec.combo.clusters[1]]
            pool_specific += other.sic
            pool_generic += other.generic_sic
        roll = rng.random()
        if roll < 0.08:  # the SIC code says something else entirely
            first = self._weighted(
                (
                    "47910",
                    "46900",
                    "68209",
                    "96090",
                    "85590",
                    "64209",
                    "70100",
                    "46190",
                    "43999",
                    "77390",
                )
            )
        elif spec.vague or roll < 0.08 + profile.p_generic:
            first = self._weighted(pool_generic)
        else:
            first = self._weighted(pool_specific)
        extra = [
            self._weighted(pool_specific if rng.random() < 0.6 else pool_generic)
            for _ in range(self._n_codes(True) - 1)
        ]
        return list(dict.fromkeys([first, *extra]))

    def place(self, spec: Spec) -> tuple[Lad, str]:
        affinity: dict[str, float] = {}
        if spec.clusters:
            for key in spec.clusters:
                for lad, factor in self.profiles[key].places.items():
                    affinity[lad] = max(affinity.get(lad, 1.0), factor)
        lads = self.ref.lads
        weights = [lad.weight * affinity.get(lad.name, 1.0) for lad in lads]
        lad = self.rng.choices(lads, weights=weights)[0]
        district = self.rng.choice(lad.districts)
        inward = (
            str(self.rng.randint(1, 9))
            + self.rng.choice(INWARD_LETTERS)
            + self.rng.choice(INWARD_LETTERS)
        )
        return lad, f"{district} {inward}"

    def incorporation(self, age_model: str, anchor: bool) -> date:
        rng = self.rng
        if anchor:
            years = rng.uniform(30, 75)
        else:
            models = AGE_MODELS[age_model]
            _, kind, mean = rng.choices(models, weights=[m[0] for m in models])[0]
            years = rng.expovariate(1.0 / mean) if kind == "exp" else rng.uniform(25, 75)
        years = min(max(years, 0.02), 75.5)
        return SNAPSHOT - timedelta(days=int(years * 365.25))

    def status(self, incorporated: date) -> tuple[str, date | None]:
        rng = self.rng
        age_days = (SNAPSHOT - incorporated).days
        roll = rng.random()
        if age_days > 550 and roll < 0.06:
            back = rng.uniform(0.0, min(6.0, age_days / 365.25 - 1.0))
            return "Dissolved", SNAPSHOT - timedelta(days=int(back * 365.25) + 1)
        if age_days > 550 and roll < 0.08:
            return "Liquidation", None
        if age_days > 365 and roll < 0.10:
            return "Active - Proposal to Strike off", None
        return "Active", None

    def accounts_period_end(self, incorporated: date, until: date) -> date | None:
        rng = self.rng
        month = rng.choices((incorporated.month, 3, 12), weights=(0.55, 0.25, 0.20))[0]
        latest = until - timedelta(days=rng.randint(90, 280))
        year = latest.year if latest.month >= month else latest.year - 1
        end = _month_end(year, month)
        if end > latest:
            end = _month_end(year - 1, month)
        return end if (end - incorporated).days >= 180 else None

    def employees(self, size: str, anchor: bool) -> int:
        rng = self.rng
        if anchor:
            return int(math.exp(rng.uniform(math.log(260), math.log(4000))))
        bands = SIZE_BANDS[size]
        low, high, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
        return int(round(math.exp(rng.uniform(math.log(low), math.log(high + 0.999)) - 1e-9)))

    def turnover(self, employees: int, per_employee: float) -> int | None:
        rng = self.rng
        if employees < 10:
            reported = 0.25
        elif employees < 50:
            reported = 0.55
        elif employees < 250:
            reported = 0.93
        else:
            reported = 1.0
        if rng.random() >= reported:
            return None
        value = employees * per_employee * rng.lognormvariate(0.0, 0.45)
        return int(round(value, -3 if value >= 100_000 else -2))

    def category(self, spec: Spec, codes: list[str]) -> str:
        rng = self.rng
        if spec.anchor and rng.random() < 0.3:
            return PLC
        first = codes[0]
        if first in LLP_CODES and rng.random() < 0.12:
            return LLP
        if first[:2] in GUARANTEE_DIVISIONS and rng.random() < 0.5:
            return GUARANTEE
        if first[:2] in {"85", "86", "87", "88", "90", "93", "94"} and rng.random() < 0.04:
            return CIC
        roll = rng.random()
        if roll < 0.004:
            return CIC
        if roll < 0.008:
            return GUARANTEE
        return PRIVATE

    def company_id(self, incorporated: date, category: str) -> str:
        """A synthetic number that no real company holds (real numbers are below 20,000,000
        and real LLP numbers below OC900000), rising with the incorporation date."""
        rng = self.rng
        while True:
            if category == LLP:
                days = max((incorporated - date(2001, 4, 6)).days, 0)
                number = f"OC{900000 + days * 10 + rng.randint(0, 9):06d}"[:8]
            else:
                days = (incorporated - date(1950, 1, 1)).days
                number = f"{90_000_000 + days * 300 + rng.randint(0, 299):08d}"
            if number not in self._ids:
                self._ids.add(number)
                return number

    # --- names ----------------------------------------------------------------------------

    def display_name(self, spec: Spec, section: str, lad: Lad) -> str:
        rng = self.rng
        profile = spec.profile
        if spec.clusters and profile is not None:
            suffixes = profile.name_suffixes
            if spec.vague:  # the name gives nothing away either
                suffixes = (
                    "Engineering",
                    "Technologies",
                    "Solutions",
                    "Innovations",
                    "Group",
                    "Systems",
                )
            roll = rng.random()
            if roll < 0.45:
                first = rng.choice(profile.name_stems) + rng.choice(NAME_TAILS)
            elif roll < 0.65:
                first = rng.choice(PLACE_WORDS)
            elif roll < 0.8:
                first = rng.choice(SURNAMES)
            elif roll < 0.9:
                first = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(3))
            else:
                first = rng.choice(ABSTRACT_WORDS)
            return f"{first} {rng.choice(suffixes)}"
        if profile is not None:
            trades = profile.name_suffixes
        else:
            trades = SECTION_WORDS.get(section, DEFAULT_SECTION)["names"]
        roll = rng.random()
        if roll < 0.35:
            first = rng.choice(SURNAMES)
            if rng.random() < 0.2:
                return f"{first} & Sons {rng.choice(trades)}"
        elif roll < 0.55:
            first = rng.choice((lad.town, *PLACE_WORDS))
        elif roll < 0.7:
            first = "".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(rng.choice((2, 3))))
        else:
            first = rng.choice(ABSTRACT_WORDS)
        return f"{first} {rng.choice(trades)}"

    def legal_name(self, display: str, category: str) -> str:
        if category == LLP:
            legal = "LLP"
        elif category == PLC:
            legal = "PLC"
        elif category == CIC:
            legal = "C.I.C."
        else:
            legal = self.rng.choice(("LTD", "LIMITED", "LIMITED", "LTD."))
        base = display.upper()
        name = f"{base} {legal} {NAME_MARKER}"
        for tag in ("", " (MIDLANDS)", " UK", " GROUP", " SERVICES", " 2", " 3", " 4", " 5"):
            candidate = f"{base}{tag} {legal} {NAME_MARKER}"
            if candidate not in self._names:
                name = candidate
                break
        self._names.add(name)
        return name

    # --- texts ----------------------------------------------------------------------------

    def _sic_title_phrase(self, code: str) -> str:
        title = self.ref.titles[code].strip()
        title = title[0].lower() + title[1:]
        return f"the {title}" if TITLE_ARTICLE_RE.match(title) else title

    def _activity_pool(self, codes: Sequence[str]) -> list[str]:
        pool: list[str] = []
        for code in codes:
            pool.extend(self.ref.activities.get(code, ()))
        if not pool:
            pool = [self._sic_title_phrase(c) for c in codes]
        return pool

    def render(
        self, templates: Sequence[str], ctx: dict[str, str], pools: _Pools, third: bool
    ) -> str:
        fresh = [t for t in templates if t not in pools.used]
        template = self.rng.choice(fresh or templates)
        pools.used.add(template)
        if third:
            subject = self.rng.choice((ctx["Name"], "The company", "The business", "It"))
        else:
            subject = "We"
        lower = subject if subject == ctx["Name"] else subject.lower()
        text = re.sub(r"\{([PMCXA])\}", lambda m: pools.next(m.group(1)), template)
        text = text.replace("{Sub}", subject).replace("{sub}", lower)
        text = text.format_map(ctx)
        return text[0].upper() + text[1:]

    def website_text(
        self, spec: Spec, ctx: dict[str, str], codes: list[str], employees: int | None
    ) -> str:
        rng = self.rng
        third = rng.random() < 0.5
        ctx = {**ctx, **_voice(third)}
        target = rng.randint(40, 140)
        if spec.case in {"generic", "sic-mismatch"}:
            return self._generic_text(spec, ctx, codes, employees, third, target)
        profile = spec.profile
        assert profile is not None
        products, methods, customers = (
            list(profile.products),
            list(profile.methods),
            list(profile.customers),
        )
        extras, descriptors = list(profile.extras), list(profile.descriptors)
        first_products: list[str] = []
        if spec.combo:
            other = self.profiles[spec.combo.clusters[1]]
            products += other.products
            methods += other.methods
            customers += other.customers
            extras = list(spec.combo.extras) + extras + list(other.extras)
            descriptors = list(spec.combo.descriptors)
            first_products = [rng.choice(spec.combo.products)]
            products += spec.combo.products
        if spec.vague:
            descriptors = list(profile.vague)
            methods, extras = [], list(GENERIC_EXTRAS)
        verbs = profile.verbs or ("provide",)
        verb = rng.choice(verbs)
        ctx["verb"] = _conjugate(verb) if third else verb
        ctx["a_desc"] = _with_article(rng.choice(descriptors))
        specific = [c for c in codes if c in profile.sic]  # phrases of generic codes read oddly
        activities = [a for c in specific for a in self.ref.activities.get(c, ())]
        pools = _Pools(
            rng,
            {
                "P": products,
                "M": methods or products,
                "C": customers or ["clients"],
                "X": extras or list(GENERIC_EXTRAS),
                "A": activities or products,
            },
            first={"P": first_products},
        )
        sentences = [self.render(OPEN_THIRD if third else OPEN_FIRST, ctx, pools, third)]
        if spec.vague:
            kinds = ["customer", "product", "extra", "place", "extra", "close"]
        else:
            kinds = [
                "product",
                "method",
                "customer",
                "extra",
                "product",
                "place",
                "extra",
                "method",
                "customer",
                "extra",
            ]
            if not methods:
                kinds = [k for k in kinds if k != "method"]
            if activities and rng.random() < 0.35:
                kinds.insert(rng.randint(1, len(kinds)), "ons")
            rng.shuffle(kinds)
        if employees and employees >= 5 and rng.random() < 0.3:
            kinds.insert(rng.randint(0, 2), "staff")
        if rng.random() < 0.5:
            kinds.append("close")
        return self._assemble(sentences, kinds, BODY, ctx, pools, third, target)

    def _generic_text(
        self,
        spec: Spec,
        ctx: dict[str, str],
        codes: list[str],
        employees: int | None,
        third: bool,
        target: int,
    ) -> str:
        rng = self.rng
        pivot = ""
        if spec.case == "sic-mismatch":
            now, now_code = rng.choice(PIVOT_NEW)
            pivot = f"The company previously {rng.choice(PIVOT_OLD)}; it now concentrates on {now}."
            codes = [now_code]
        section = self._section(codes[0])
        words = SECTION_WORDS.get(section, DEFAULT_SECTION)
        ctx["a_desc"] = _with_article(rng.choice(DIVISION_DESC.get(codes[0][:2], words["desc"])))
        ctx["verb"] = "provides" if third else "provide"
        activities = self._activity_pool(codes)
        extras = list(GENERIC_EXTRAS)
        pools = _Pools(
            rng,
            {
                "P": activities,
                "M": activities,
                "C": list(words["cust"]),
                "X": extras,
                "A": activities,
            },
        )
        sentences = [
            self.render(GENERIC_OPEN_THIRD if third else GENERIC_OPEN_FIRST, ctx, pools, third)
        ]
        if pivot:
            sentences.append(pivot.format_map(ctx))
        kinds = ["activity", "customer", "extra", "activity", "extra", "extra"]
        if employees and employees >= 5 and rng.random() < 0.2:
            kinds.insert(1, "staff")
        if rng.random() < 0.5:
            kinds.append("close")
        return self._assemble(
            sentences, kinds, {**BODY, **GENERIC_BODY}, ctx, pools, third, min(target, 90)
        )

    def _assemble(
        self,
        sentences: list[str],
        kinds: list[str],
        body: dict[str, tuple[str, ...]],
        ctx: dict[str, str],
        pools: _Pools,
        third: bool,
        target: int,
    ) -> str:
        seen = set(sentences)
        for kind in kinds:
            if _words(sentences) >= target:
                break
            sentence = self.render(body[kind], ctx, pools, third)
            if sentence not in seen:
                sentences.append(sentence)
                seen.add(sentence)
        filler = list(GENERIC_EXTRAS)
        self.rng.shuffle(filler)
        while _words(sentences) < 40 and filler:
            sentence = filler.pop().format_map(ctx)
            if sentence not in seen:
                sentences.append(sentence)
                seen.add(sentence)
        while _words(sentences) > 150 and len(sentences) > 1:
            sentences.pop()
        return " ".join(sentences)

    def filing_text(self, spec: Spec, ctx: dict[str, str], codes: list[str]) -> str:
        rng = self.rng
        if codes[0] in {"99999", "74990"}:
            return rng.choice(DORMANT_FILINGS)
        if codes[0] in {"70100", "64209"} and rng.random() < 0.6:
            return "The principal activity of the company is that of a holding company."
        phrase: str
        profile = spec.profile
        if spec.combo and rng.random() < 0.6:
            phrase = rng.choice(spec.combo.filing)
        elif profile is not None and profile.filing and not spec.vague and rng.random() < 0.55:
            phrase = rng.choice(profile.filing)
        elif spec.case == "generic" and rng.random() < 0.3:
            phrase = rng.choice(self._activity_pool(codes[:1]))
        else:
            phrase = self._sic_title_phrase(codes[0])
        return rng.choice(FILING_TEMPLATES).format(f=phrase.rstrip("."), town=ctx["town"])

    def _section(self, code: str) -> str:
        return _SECTIONS.get(code[:2], "S")

    # --- one company ----------------------------------------------------------------------

    def company(self, spec: Spec) -> tuple[dict[str, object], list[str]]:
        rng = self.rng
        codes = self.sic_codes(spec)
        section = self._section(codes[0])
        profile = spec.profile
        lad, postcode = self.place(spec)
        if spec.case == "sic-mismatch":
            age_model = "old"
        else:
            age_model = profile.age if profile is not None else "mixed"
        incorporated = self.incorporation(age_model, spec.anchor)
        category = self.category(spec, codes)
        if category == LLP and incorporated < date(2001, 4, 6):
            incorporated = date(2001, 4, 6) + timedelta(days=rng.randint(0, 3000))
        status, dissolved = self.status(incorporated)
        period_end = self.accounts_period_end(incorporated, dissolved or SNAPSHOT)
        dormant = codes[0] in {"99999", "74990"}

        if profile is not None and spec.case != "sic-mismatch":
            size, per_employee = profile.size, profile.turnover_per_employee
        else:
            size = SECTION_SIZE.get(section, "micro")
            per_employee = DIVISION_TURNOVER.get(
                codes[0][:2], SECTION_TURNOVER.get(section, 80_000)
            )
        employees: int | None = None
        turnover: int | None = None
        if period_end is not None:
            if dormant:
                employees = 0 if rng.random() < 0.5 else None
            elif rng.random() < 0.92 or spec.anchor:
                employees = self.employees(size, spec.anchor)
                turnover = self.turnover(employees, per_employee)

        display = self.display_name(spec, section, lad)
        name = self.legal_name(display, category)
        ctx = {
            "Name": display,
            "town": lad.town,
            "county": lad.county,
            "region": lad.region_name,
            "year": str(incorporated.year),
            "year2": str(rng.randint(max(incorporated.year, 2005), 2025)),
            "staff": _staff(employees),
        }
        in_cluster = bool(spec.clusters)
        if dormant:
            p_web, p_filing = 0.0, 0.6
        elif in_cluster:
            p_web, p_filing = 0.85, 0.6
        else:
            p_web, p_filing = 0.62, 0.6
        website_text = (
            self.website_text(spec, ctx, codes, employees) if rng.random() < p_web else None
        )
        filing_text = self.filing_text(spec, ctx, codes) if rng.random() < p_filing else None
        has_site = website_text is not None or (not dormant and rng.random() < 0.05)
        website = f"https://www.{_slug(display)}.example" if has_site else None

        row: dict[str, object] = {
            "company_id": self.company_id(incorporated, category),
            "name": name,
            "postcode": postcode,
            "postcode_district": postcode.split(" ")[0],
            "lad_code": lad.code,
            "lad_name": lad.name,
            "region_code": lad.region_code,
            "region_name": lad.region_name,
            "status": status,
            "category": category,
            "incorporation_date": incorporated.isoformat(),
            "dissolution_date": dissolved.isoformat() if dissolved else None,
            "sic_codes": ";".join(codes),
            "website": website,
            "website_text": website_text,
            "filing_text": filing_text,
            "turnover": turnover,
            "employees": employees,
            "accounts_period_end": period_end.isoformat() if period_end else None,
        }
        return row, list(spec.clusters)


class _Pools:
    """Hands out items without repeats until a pool is used up (then reshuffles it)."""

    def __init__(
        self,
        rng: random.Random,
        pools: dict[str, list[str]],
        first: dict[str, list[str]] | None = None,
    ) -> None:
        self._rng, self._pools = rng, {k: list(v) for k, v in pools.items()}
        self.used: set[str] = set()
        """Templates already used in this text."""
        self._queues: dict[str, list[str]] = {k: [] for k in pools}
        for key, items in (first or {}).items():
            self._queues[key] = list(reversed(items))

    def next(self, kind: str) -> str:
        queue = self._queues[kind]
        if not queue:
            queue.extend(self._pools[kind])
            self._rng.shuffle(queue)
        return queue.pop()


def _voice(third: bool) -> dict[str, str]:
    if third:
        return {"Poss": "Its", "poss": "its", "be": "is", "have": "has", "s": "s"}
    return {"Poss": "Our", "poss": "our", "be": "are", "have": "have", "s": ""}


def _conjugate(verb: str) -> str:
    """Third person singular of a verb phrase: ``'design and build'`` → ``'designs and builds'``."""

    def one(word: str) -> str:
        if word.endswith("y") and word[-2:-1] not in "aeiou":
            return word[:-1] + "ies"
        if word.endswith(("s", "sh", "ch", "x", "z")):
            return word + "es"
        return word + "s"

    parts = re.split(r"(, | and )", verb)
    out = []
    for part in parts:
        if part in (", ", " and "):
            out.append(part)
        else:
            head, _, rest = part.partition(" ")
            out.append(one(head) + (" " + rest if rest else ""))
    return "".join(out)


def _with_article(phrase: str) -> str:
    lowered = phrase.lower()
    vowel = lowered[:1] in "aeiou" and not lowered.startswith(("uni", "eur", "use", "one"))
    if phrase[:2].isupper() and phrase[:2].isalpha():  # acronyms: "an MoD", "an EV", "a SaaS"
        vowel = phrase[0] in "AEFHILMNORSX" and not phrase.startswith("Sa")
    return ("an " if vowel else "a ") + phrase


def _words(sentences: Sequence[str]) -> int:
    return sum(len(s.split()) for s in sentences)


def _staff(employees: int | None) -> str:
    if not employees:
        return "a small team of"
    if employees < 20:
        return str(employees)
    step = 5 if employees < 100 else 10 if employees < 1000 else 100
    return str(int(round(employees / step) * step))


def _slug(display: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", display.lower().replace("&", "and"))


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)


_SECTIONS: dict[str, str] = {}
for _section, _divisions in {
    "A": range(1, 4),
    "B": range(5, 10),
    "C": range(10, 34),
    "D": range(35, 36),
    "E": range(36, 40),
    "F": range(41, 44),
    "G": range(45, 48),
    "H": range(49, 54),
    "I": range(55, 57),
    "J": range(58, 64),
    "K": range(64, 67),
    "L": range(68, 69),
    "M": range(69, 76),
    "N": range(77, 83),
    "O": range(84, 85),
    "P": range(85, 86),
    "Q": range(86, 89),
    "R": range(90, 94),
    "S": range(94, 97),
    "T": range(97, 99),
    "U": range(99, 100),
}.items():
    for _division in _divisions:
        _SECTIONS[f"{_division:02d}"] = _section


# =============================================================================================
# Assembly and output
# =============================================================================================


def truth_labels(leaves: Sequence[str], taxonomy: Taxonomy) -> list[str]:
    """Leaf clusters plus every ancestor, in taxonomy order."""
    ids = set()
    for cluster_id in leaves:
        node: str | None = cluster_id
        while node is not None:
            ids.add(node)
            node = taxonomy[node].parent
    return [c for c in taxonomy.ids if c in ids]


def generate(
    seed: int = DEFAULT_SEED,
    n_companies: int = DEFAULT_N_COMPANIES,
    data_dir: Path | None = None,
    taxonomy_path: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the demo tables (``companies``, ``truth``, ``labels``, ``summary``)."""
    data_dir = data_dir or ROOT / "data"
    taxonomy = load_taxonomy(taxonomy_path or data_dir / "taxonomy" / "midlands.yaml")
    leaves = [c.id for c in taxonomy.clusters if c.tier != Tier.SUPER]
    covered = {p.key for p in CLUSTER_PROFILES}
    missing = sorted(set(leaves) - covered)
    unknown = sorted(covered - set(taxonomy.ids))
    if missing or unknown:
        raise SystemExit(
            f"taxonomy and profiles disagree: no profile for {missing}, "
            f"profiles for unknown clusters {unknown}"
        )
    ref = load_reference(data_dir)
    gen = Generator(seed, ref, taxonomy)
    rows, truth_rows = [], []
    for spec in gen.plan(n_companies):
        row, leaf_ids = gen.company(spec)
        rows.append(row)
        truth_rows.append(
            {
                "company_id": row["company_id"],
                "labels": ";".join(truth_labels(leaf_ids, taxonomy)),
                "case": spec.case,
            }
        )
    # the crawl-only columns (fetch time, status) stay out of a base that was never crawled
    columns = [c for c in COMPANY_BASE.names if c not in ("website_fetched_at", "website_status")]
    companies = pd.DataFrame(rows, columns=columns)
    for column in ("turnover", "employees"):
        companies[column] = companies[column].astype("Int64")
    order = companies["company_id"].argsort(kind="stable")
    companies = companies.iloc[order].reset_index(drop=True)
    truth = pd.DataFrame(truth_rows).iloc[order].reset_index(drop=True)

    labels = _labels(gen.rng, companies, truth, taxonomy)
    summary = _summary(truth, labels, taxonomy)
    return {"companies": companies, "truth": truth, "labels": labels, "summary": summary}


def _labels(
    rng: random.Random, companies: pd.DataFrame, truth: pd.DataFrame, taxonomy: Taxonomy
) -> pd.DataFrame:
    """A seeded ~20 % sample presented as reviewed labels, topped up so every cluster has at
    least ``MIN_LABELLED_POSITIVES`` positives."""
    n = len(companies)
    chosen = set(rng.sample(range(n), int(round(n * LABEL_SHARE))))
    members: dict[str, list[int]] = {c: [] for c in taxonomy.ids}
    for i, labels in enumerate(truth["labels"]):
        for cluster_id in filter(None, labels.split(";")):
            members[cluster_id].append(i)
    for cluster_id in taxonomy.ids:
        have = [i for i in members[cluster_id] if i in chosen]
        spare = [i for i in members[cluster_id] if i not in chosen]
        rng.shuffle(spare)
        while len(have) < MIN_LABELLED_POSITIVES and spare:
            pick = spare.pop()
            chosen.add(pick)
            have.append(pick)
    rows = []
    for i in sorted(chosen):
        company = companies.iloc[i]
        parts = [company["name"]]
        parts += [
            company[c]
            for c in ("website_text", "filing_text")
            if isinstance(company[c], str) and company[c]
        ]
        text = " ".join(p if p.endswith(".") else p + "." for p in parts)
        rows.append(
            {"company_id": company["company_id"], "text": text, "labels": truth["labels"].iloc[i]}
        )
    return pd.DataFrame(rows, columns=LABELS.names)


def _summary(truth: pd.DataFrame, labels: pd.DataFrame, taxonomy: Taxonomy) -> pd.DataFrame:
    def count(series: pd.Series) -> Counter[str]:
        counter: Counter[str] = Counter()
        for value in series:
            counter.update(filter(None, str(value).split(";")))
        return counter

    in_truth, in_labels = count(truth["labels"]), count(labels["labels"].fillna(""))
    rows = [
        {
            "cluster_id": c.id,
            "tier": c.tier.value,
            "parent": c.parent or "",
            "companies": in_truth[c.id],
            "labelled": in_labels[c.id],
        }
        for c in taxonomy.clusters
    ]
    rows.append(
        {
            "cluster_id": "(none)",
            "tier": "",
            "parent": "",
            "companies": int((truth["labels"] == "").sum()),
            "labelled": int((labels["labels"].fillna("") == "").sum()),
        }
    )
    return pd.DataFrame(rows)


def write(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write the tables as UTF-8 CSV with ``\\n`` line ends (byte-stable across runs)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("companies", "truth", "labels", "summary"):
        path = out / f"{name}.csv"
        tables[name].to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (42)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "data" / "demo", help="output folder (data/demo)"
    )
    parser.add_argument(
        "--n-companies",
        type=int,
        default=DEFAULT_N_COMPANIES,
        help=f"number of companies ({DEFAULT_N_COMPANIES})",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT / "data",
        help="folder with the bundled sic/, geo/ and taxonomy/ data",
    )
    parser.add_argument(
        "--taxonomy", type=Path, default=None, help="taxonomy YAML (data/taxonomy/midlands.yaml)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tables = generate(args.seed, args.n_companies, args.data_dir, args.taxonomy)
    for path in write(tables, args.out):
        logger.info("wrote %s", path)
    truth = tables["truth"]
    logger.info(
        "%d companies, %.0f%% in no cluster, %d labelled",
        len(truth),
        100 * (truth["labels"] == "").mean(),
        len(tables["labels"]),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
