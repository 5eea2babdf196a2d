"""The generator's data: real sites and clusters, sectors and their
capabilities, sponsors, the presets (small, provincial, national) and the
figures behind the draws (type shares, ownership, levels, costs). The sources
and assumptions are in the docstring of :mod:`consortium.generate`."""

from __future__ import annotations

from typing import Any

from ..spec import ACTOR_TYPES, INSTANCE_FORMAT, MARKET_END, RESEARCH_END

FORMAT = INSTANCE_FORMAT
TYPES = ACTOR_TYPES
R_TYPES = tuple(t for t in ACTOR_TYPES
                if t in RESEARCH_END)  # in this order: the draws depend on it
E_TYPES = tuple(t for t in ACTOR_TYPES if t in MARKET_END)
RESEARCH, PRODUCTION = 0, 1

# ---------------------------------------------------------------------------
# Sites: (id, name, city, province code, lat, lon, cluster size, sector weights)
# ---------------------------------------------------------------------------
SITES: list[tuple[str, str, str, str, float, float, float, dict[str, float]]] = [
    ("beijing-zgc", "Zhongguancun Science Park, Beijing", "Beijing", "BJ", 39.9837, 116.3164, 10,
     {"ai": 3, "semiconductors": 2, "biopharma": 1.5, "quantum": 1, "meddevices": 1,
      "aerospace": 1}),
    ("shanghai-zhangjiang", "Zhangjiang Science City, Shanghai", "Shanghai", "SH", 31.2035,
     121.5897, 10, {"semiconductors": 3, "biopharma": 3, "ai": 2, "meddevices": 1}),
    ("shenzhen-nanshan", "Nanshan Science and Technology Park, Shenzhen", "Shenzhen", "GD",
     22.5405, 113.9530, 10, {"wearables": 3, "ai": 2, "semiconductors": 1.5, "quantum": 1,
                             "batteries": 1, "meddevices": 1}),
    ("suzhou-sip", "Suzhou Industrial Park", "Suzhou", "JS", 31.3166, 120.7220, 8,
     {"biopharma": 3, "semiconductors": 2, "photonics": 2, "wearables": 1.5, "materials": 1}),
    ("hefei-hitech", "Hefei High-tech Zone", "Hefei", "AH", 31.8206, 117.1270, 7,
     {"quantum": 3, "batteries": 2, "semiconductors": 2, "nev": 1.5, "ai": 1}),
    ("wuhan-optics-valley", "Wuhan East Lake High-tech Zone (Optics Valley)", "Wuhan", "HB",
     30.5050, 114.4000, 7, {"photonics": 4, "semiconductors": 2, "biopharma": 1, "nev": 1}),
    ("hangzhou-binjiang", "Hangzhou Hi-tech Zone (Binjiang)", "Hangzhou", "ZJ", 30.2084,
     120.2120, 6, {"ai": 3, "wearables": 1.5, "semiconductors": 1, "meddevices": 1}),
    ("guangzhou-science-city", "Guangzhou Science City, Huangpu", "Guangzhou", "GD", 23.1700,
     113.4500, 6, {"biopharma": 2, "nev": 2, "wearables": 1, "materials": 1}),
    ("chengdu-hitech", "Chengdu Hi-tech Zone", "Chengdu", "SC", 30.5460, 104.0660, 6,
     {"semiconductors": 2, "aerospace": 2, "biopharma": 1.5, "ai": 1}),
    ("xian-hitech", "Xi'an High-tech Zone", "Xi'an", "SN", 34.1935, 108.8870, 6,
     {"aerospace": 3, "semiconductors": 2, "photonics": 1.5}),
    ("nanjing-jiangbei", "Nanjing Jiangbei New Area", "Nanjing", "JS", 32.1580, 118.7140, 5,
     {"semiconductors": 2, "biopharma": 2, "rail": 1, "ai": 1}),
    ("chongqing-liangjiang", "Liangjiang New Area, Chongqing", "Chongqing", "CQ", 29.6700,
     106.6500, 5, {"nev": 3, "wearables": 1.5, "semiconductors": 1}),
    ("tianjin-binhai", "Tianjin Binhai New Area (TEDA)", "Tianjin", "TJ", 39.0450, 117.6950, 5,
     {"aerospace": 2, "biopharma": 2, "batteries": 1, "materials": 1}),
    ("wuxi-hitech", "Wuxi National Hi-tech Zone", "Wuxi", "JS", 31.5480, 120.3570, 5,
     {"semiconductors": 3, "wearables": 1, "biopharma": 1}),
    ("ningbo-hitech", "Ningbo National Hi-tech Zone", "Ningbo", "ZJ", 29.8830, 121.6300, 4,
     {"materials": 3, "nev": 1.5, "robotics": 1}),
    ("shenyang-hunnan", "Shenyang Hunnan Hi-tech Zone", "Shenyang", "LN", 41.7180, 123.4600, 4,
     {"robotics": 3, "aerospace": 2, "semiconductors": 1}),
    ("changsha-hitech", "Changsha Hi-tech Zone", "Changsha", "HN", 28.2260, 112.8810, 4,
     {"robotics": 2, "materials": 1.5, "rail": 1, "ai": 1}),
    ("jinan-hitech", "Jinan High-tech Zone", "Jinan", "SD", 36.6700, 117.1400, 4,
     {"quantum": 2, "ai": 1.5, "semiconductors": 1}),
    ("qingdao-west-coast", "Qingdao West Coast New Area", "Qingdao", "SD", 35.9600, 120.2000, 4,
     {"rail": 1.5, "materials": 1, "wearables": 1, "meddevices": 0.5}),
    ("shanghai-lingang", "Lingang Special Area, Shanghai", "Shanghai", "SH", 30.8990, 121.9230,
     4, {"nev": 2, "aerospace": 1.5, "semiconductors": 1, "ai": 1}),
    ("xiamen-torch", "Xiamen Torch Hi-tech Zone", "Xiamen", "FJ", 24.4900, 118.1800, 3,
     {"wearables": 2, "semiconductors": 1.5, "batteries": 1}),
    ("fuzhou-hitech", "Fuzhou High-tech Zone", "Fuzhou", "FJ", 26.0500, 119.2000, 3,
     {"photonics": 1.5, "wearables": 1, "ai": 1}),
    ("dalian-hitech", "Dalian Hi-tech Industrial Zone", "Dalian", "LN", 38.8600, 121.5300, 3,
     {"materials": 1.5, "robotics": 1, "batteries": 1, "ai": 0.5}),
    ("zhengzhou-airport", "Zhengzhou Airport Economy Zone", "Zhengzhou", "HA", 34.5270,
     113.8400, 3, {"wearables": 2, "nev": 1, "materials": 0.5}),
    ("changzhou-wujin", "Changzhou Wujin National Hi-tech Zone", "Changzhou", "JS", 31.7000,
     119.9500, 3, {"batteries": 3, "robotics": 1, "materials": 1}),
    ("changchun-hitech", "Changchun High-tech Zone", "Changchun", "JL", 43.8200, 125.3200, 3,
     {"photonics": 2, "nev": 2, "biopharma": 1}),
    ("dongguan-songshan-lake", "Songshan Lake Science City, Dongguan", "Dongguan", "GD",
     22.9200, 113.8900, 3, {"wearables": 2, "robotics": 1.5, "materials": 1}),
    ("kunming-hitech", "Kunming High-tech Zone", "Kunming", "YN", 25.0600, 102.6600, 2,
     {"biopharma": 2, "materials": 1, "photonics": 1}),
    ("ningde-dongqiao", "Ningde Dongqiao Economic Development Zone", "Ningde", "FJ", 26.6600,
     119.5500, 2, {"batteries": 4}),
    ("zhuzhou-hitech", "Zhuzhou Hi-tech Zone", "Zhuzhou", "HN", 27.8300, 113.1500, 2,
     {"rail": 3, "semiconductors": 1, "aerospace": 1}),
    ("harbin-hitech", "Harbin High-tech Zone", "Harbin", "HL", 45.7500, 126.6500, 2,
     {"aerospace": 2, "robotics": 1, "materials": 1}),
    ("foshan-shunde", "Shunde, Foshan", "Foshan", "GD", 22.8050, 113.2930, 2,
     {"robotics": 3, "wearables": 0.5}),
    ("mianyang-science-city", "Mianyang Science City", "Mianyang", "SC", 31.4700, 104.6800, 2,
     {"photonics": 1, "materials": 1, "wearables": 1}),
    ("nanchang-hitech", "Nanchang High-tech Zone", "Nanchang", "JX", 28.7000, 115.9700, 2,
     {"photonics": 1.5, "aerospace": 1, "biopharma": 0.5}),
    ("shijiazhuang-hitech", "Shijiazhuang High-tech Zone", "Shijiazhuang", "HE", 38.0400,
     114.6000, 2, {"biopharma": 3}),
    ("baotou-rare-earth", "Baotou Rare Earth Hi-tech Zone", "Baotou", "NM", 40.6300, 109.8400,
     1.5, {"materials": 3}),
    ("ganzhou-edz", "Ganzhou Economic Development Zone", "Ganzhou", "JX", 25.8300, 114.9300,
     1.5, {"materials": 2, "batteries": 1}),
    ("yibin-sanjiang", "Yibin Sanjiang New Area", "Yibin", "SC", 28.7700, 104.6400, 1.5,
     {"batteries": 3}),
    ("guiyang-guian", "Gui'an New Area, Guiyang", "Guiyang", "GZ", 26.4500, 106.4700, 1.5,
     {"ai": 2}),
    ("hangzhou-future-sci-tech", "Future Sci-Tech City, Hangzhou", "Hangzhou", "ZJ", 30.2870,
     120.0080, 4, {"ai": 2, "biopharma": 2, "wearables": 1}),
    ("shaoxing-binhai", "Shaoxing Binhai New Area", "Shaoxing", "ZJ", 30.1000, 120.7300, 2,
     {"semiconductors": 2, "biopharma": 1, "materials": 1}),
    ("jiaxing-xiuzhou", "Jiaxing Xiuzhou Hi-tech Zone", "Jiaxing", "ZJ", 30.7700, 120.7100, 2,
     {"photonics": 1, "materials": 1, "wearables": 1}),
    ("huzhou-moganshan", "Moganshan High-tech Zone, Huzhou", "Huzhou", "ZJ", 30.5500, 119.9800,
     2, {"batteries": 1, "nev": 1, "ai": 0.5}),
    ("wenzhou-hitech", "Wenzhou High-tech Zone", "Wenzhou", "ZJ", 27.9900, 120.7000, 2,
     {"meddevices": 1.5, "robotics": 1, "nev": 1}),
    ("jinhua-yiwu", "Yiwu, Jinhua", "Jinhua", "ZJ", 29.3060, 120.0750, 1.5,
     {"wearables": 1, "nev": 1, "photonics": 0.5}),
    ("taizhou-bay", "Taizhou Bay New Area", "Taizhou", "ZJ", 28.6600, 121.5000, 1.5,
     {"biopharma": 2, "nev": 1}),
    ("quzhou-smart-city", "Quzhou Intelligent Manufacturing New City", "Quzhou", "ZJ", 28.9700,
     118.8700, 1.5, {"materials": 2, "batteries": 1}),
]

PROVINCES = {
    "BJ": "Beijing", "SH": "Shanghai", "TJ": "Tianjin", "CQ": "Chongqing", "JS": "Jiangsu",
    "ZJ": "Zhejiang", "GD": "Guangdong", "AH": "Anhui", "HB": "Hubei", "SC": "Sichuan",
    "SN": "Shaanxi", "LN": "Liaoning", "HN": "Hunan", "SD": "Shandong", "FJ": "Fujian",
    "HA": "Henan", "JL": "Jilin", "YN": "Yunnan", "HL": "Heilongjiang", "JX": "Jiangxi",
    "HE": "Hebei", "NM": "Inner Mongolia", "GZ": "Guizhou",
}
MUNICIPALITIES = {"BJ", "SH", "TJ", "CQ"}
# Cities that run programmes of their own (Suzhou's 13 consortia, seed 002).
CITY_SPONSORS = {
    "Suzhou", "Shenzhen", "Hefei", "Wuhan", "Hangzhou", "Ningbo", "Changsha", "Chengdu",
    "Xi'an", "Guangzhou", "Nanjing", "Wuxi", "Qingdao", "Xiamen", "Changzhou",
}
MINISTRIES = {
    "miit": "Ministry of Industry and Information Technology",
    "most": "Ministry of Science and Technology",
    "ndrc": "National Development and Reform Commission",
}

# ---------------------------------------------------------------------------
# Sectors: capability catalogue (id, name, stage, chokepoint-prone)
# ---------------------------------------------------------------------------
_R, _P = RESEARCH, PRODUCTION
SECTORS: dict[str, dict[str, Any]] = {
    "semiconductors": {
        "title": "Third-generation semiconductor", "field": "Semiconductors",
        "words": ["Semiconductor", "Microelectronics", "Silicon", "Chip"],
        "caps": [
            ("sic-substrate", "6-inch SiC substrate", _P, False),
            ("gan-epitaxy", "GaN epitaxy", _R, False),
            ("sic-epitaxy", "SiC epitaxial wafer", _P, False),
            ("gan-hemt", "GaN HEMT device", _P, False),
            ("ga2o3-wafer", "Gallium oxide wafer", _R, False),
            ("euv-photoresist", "EUV photoresist", _R, True),
            ("arf-photoresist", "ArF immersion photoresist", _P, True),
            ("lithography-optics", "Lithography projection optics", _R, True),
            ("eda-analog", "Analog EDA toolchain", _R, True),
            ("eda-digital", "Digital EDA sign-off", _R, True),
            ("cmp-slurry", "CMP slurry", _P, False),
            ("sputter-target", "High-purity sputtering target", _P, False),
            ("specialty-gas", "Electronic specialty gas", _P, True),
            ("advanced-packaging", "2.5D advanced packaging", _P, False),
            ("chiplet-interconnect", "Chiplet interconnect", _R, False),
            ("silicon-wafer-12in", "12-inch silicon wafer", _P, True),
            ("power-module-packaging", "Power module packaging", _P, False),
            ("plasma-etch-tool", "Plasma etch tool", _P, True),
            ("mocvd-reactor", "MOCVD reactor", _P, False),
            ("wafer-metrology", "Wafer metrology", _P, True),
        ],
    },
    "biopharma": {
        "title": "Biopharmaceutical", "field": "Biomedicine",
        "words": ["Biologics", "Pharmaceutical", "Biotech", "Life Sciences"],
        "caps": [
            ("mab-cell-line", "Monoclonal antibody cell line", _R, False),
            ("bispecific-design", "Bispecific antibody design", _R, False),
            ("adc-linker", "ADC linker-payload", _R, False),
            ("mrna-lnp", "mRNA-LNP delivery", _R, True),
            ("car-t-vector", "CAR-T vector design", _R, False),
            ("ai-protein-design", "AI protein design", _R, False),
            ("preclinical-pkpd", "Preclinical PK/PD", _R, False),
            ("cell-culture-media", "Cell culture media", _P, True),
            ("single-use-bioreactor", "Single-use bioreactor", _P, True),
            ("chromatography-resin", "Chromatography resin", _P, True),
            ("protein-a-resin", "Protein A resin", _P, True),
            ("viral-vector-cmc", "Viral vector manufacturing", _P, False),
            ("aseptic-fill-finish", "Aseptic fill-finish", _P, False),
            ("biosimilar-analytics", "Biosimilar analytics", _P, False),
            ("cdmo-scale-up", "CDMO scale-up", _P, False),
            ("complex-api-synthesis", "Complex API synthesis", _P, False),
        ],
    },
    "photonics": {
        "title": "High-power laser", "field": "Optics and Photonics",
        "words": ["Photonics", "Laser", "Optoelectronics", "Optics"],
        "caps": [
            ("high-power-diode-laser", "High-power semiconductor laser", _P, False),
            ("laser-crystal", "Nonlinear laser crystal", _R, False),
            ("ultrafast-laser", "Ultrafast laser", _R, True),
            ("silicon-photonics", "Silicon photonics", _R, False),
            ("photonic-ic-design", "Photonic IC design", _R, False),
            ("infrared-fpa", "Infrared focal-plane detector", _R, True),
            ("fiber-laser-pump", "Fiber laser pump module", _P, False),
            ("vcsel-array", "VCSEL array", _P, False),
            ("precision-optical-coating", "Precision optical coating", _P, False),
            ("optical-transceiver-800g", "800G optical transceiver", _P, False),
            ("lidar-module", "LiDAR module", _P, False),
            ("beam-delivery-optics", "Beam delivery optics", _P, False),
            ("laser-welding-head", "Laser welding head", _P, False),
            ("gan-on-si-led", "GaN-on-Si LED epitaxy", _P, False),
        ],
    },
    "materials": {
        "title": "Advanced materials", "field": "Materials Science",
        "words": ["New Materials", "Advanced Materials", "Composites", "Alloy"],
        "caps": [
            ("ceramic-matrix-composite", "Ceramic matrix composite", _R, True),
            ("graphene-film", "Graphene film", _R, False),
            ("high-entropy-alloy", "High-entropy alloy", _R, False),
            ("perovskite-film", "Perovskite thin film", _R, False),
            ("carbon-fiber-t1000", "T1000 carbon fiber", _P, True),
            ("aramid-fiber", "Aramid fiber", _P, False),
            ("superalloy-casting", "Nickel superalloy casting", _P, True),
            ("ndfeb-magnet", "NdFeB rare-earth magnet", _P, False),
            ("polyimide-film", "Polyimide film", _P, True),
            ("uhmwpe-fiber", "UHMWPE fiber", _P, False),
            ("optical-fiber-preform", "Optical fiber preform", _P, False),
            ("titanium-alloy-powder", "Titanium alloy powder", _P, False),
            ("ultrathin-glass", "Ultra-thin specialty glass", _P, False),
            ("fluoropolymer-resin", "Fluoropolymer resin", _P, False),
            ("rare-earth-separation", "Rare-earth separation", _P, False),
        ],
    },
    "batteries": {
        "title": "Power battery", "field": "Energy Storage",
        "words": ["New Energy", "Battery", "Energy Storage", "Power Technology"],
        "caps": [
            ("solid-state-electrolyte", "Solid-state electrolyte", _R, False),
            ("sodium-ion-cathode", "Sodium-ion cathode", _R, False),
            ("silicon-carbon-anode", "Silicon-carbon anode", _R, False),
            ("lithium-metal-anode", "Lithium-metal anode", _R, False),
            ("flow-battery-stack", "Vanadium flow battery stack", _R, False),
            ("lfp-cathode", "LFP cathode", _P, False),
            ("high-nickel-cathode", "High-nickel cathode", _P, False),
            ("separator-film", "Battery separator film", _P, False),
            ("lipf6-electrolyte", "LiPF6 electrolyte", _P, False),
            ("battery-management-system", "Battery management system", _P, False),
            ("cell-to-pack", "Cell-to-pack integration", _P, False),
            ("battery-recycling", "Hydrometallurgical recycling", _P, False),
            ("pem-fuel-cell-stack", "PEM fuel cell stack", _P, True),
            ("proton-exchange-membrane", "Proton exchange membrane", _P, True),
        ],
    },
    "wearables": {
        "title": "Wearable technology", "field": "Information Devices",
        "words": ["Smart Devices", "Electronics", "Display", "Sensing"],
        "caps": [
            ("ppg-biosensor", "PPG biosensor algorithm", _R, False),
            ("flexible-oled", "Flexible OLED panel", _P, False),
            ("mems-imu", "MEMS inertial sensor", _P, False),
            ("ar-waveguide", "AR waveguide optics", _R, False),
            ("micro-led", "Micro-LED display", _R, False),
            ("flexible-micro-battery", "Flexible micro-battery", _R, False),
            ("ble-soc", "Low-power BLE SoC", _P, False),
            ("flexible-pcb", "Flexible PCB", _P, False),
            ("haptic-actuator", "Linear haptic actuator", _P, False),
            ("wearable-assembly", "Wearable device assembly", _P, False),
            ("mems-microphone", "MEMS microphone", _P, False),
            ("oled-emitter", "OLED emitter material", _P, True),
        ],
    },
    "aerospace": {
        "title": "Aerospace", "field": "Aeronautics and Astronautics",
        "words": ["Aerospace", "Aviation", "Space Technology", "Aero-Engine"],
        "caps": [
            ("hall-thruster", "Hall-effect thruster", _R, False),
            ("thermal-protection", "Hypersonic thermal protection", _R, False),
            ("flight-control-law", "Flight control law", _R, False),
            ("star-tracker", "Star tracker", _R, False),
            ("turbine-blade-casting", "Single-crystal turbine blade", _P, True),
            ("composite-fuselage", "Composite fuselage panel", _P, False),
            ("avionics-bus", "Avionics data bus", _P, True),
            ("small-satellite-bus", "Small-satellite bus", _P, False),
            ("titanium-forging", "Titanium forging", _P, False),
            ("landing-gear", "Landing gear system", _P, False),
            ("aero-engine-bearing", "Aero-engine main bearing", _P, True),
            ("solid-rocket-motor", "Solid rocket motor", _P, False),
        ],
    },
    "ai": {
        "title": "Artificial intelligence", "field": "Artificial Intelligence",
        "words": ["Intelligence", "Data", "Software", "Computing"],
        "caps": [
            ("large-model-training", "Large-model training", _R, False),
            ("ai-compiler", "AI compiler stack", _R, False),
            ("neuromorphic-chip", "Neuromorphic chip", _R, False),
            ("federated-learning", "Federated learning", _R, False),
            ("ai-accelerator", "AI accelerator chip", _P, True),
            ("industrial-os", "Industrial operating system", _P, False),
            ("cae-solver", "CAE solver", _P, True),
            ("industrial-tsdb", "Industrial time-series database", _P, False),
            ("machine-vision-software", "Machine-vision software", _P, False),
            ("speech-recognition", "Speech recognition engine", _P, False),
            ("gpu-server", "GPU server integration", _P, False),
        ],
    },
    "robotics": {
        "title": "Intelligent equipment", "field": "Robotics and Intelligent Manufacturing",
        "words": ["Robotics", "Intelligent Equipment", "Precision Machinery", "Automation"],
        "caps": [
            ("embodied-ai-control", "Embodied-AI control", _R, False),
            ("dexterous-hand", "Dexterous robot hand", _R, False),
            ("force-control", "Force-control algorithm", _R, False),
            ("harmonic-reducer", "Harmonic reducer", _P, False),
            ("rv-reducer", "RV reducer", _P, True),
            ("servo-drive", "Servo motor and drive", _P, False),
            ("cnc-controller", "High-end CNC controller", _P, True),
            ("five-axis-machine-tool", "Five-axis machine tool", _P, True),
            ("precision-bearing", "Precision bearing", _P, True),
            ("industrial-robot-arm", "Industrial robot arm", _P, False),
            ("six-axis-ft-sensor", "Six-axis force/torque sensor", _P, False),
            ("hydraulic-valve", "High-pressure hydraulic valve", _P, False),
        ],
    },
    "nev": {
        "title": "New-energy vehicle", "field": "Vehicle Engineering",
        "words": ["Automotive", "New Energy Vehicle", "Auto Parts", "Mobility"],
        "caps": [
            ("autonomous-driving-stack", "Autonomous driving stack", _R, False),
            ("cv2x-protocol", "C-V2X protocol stack", _R, False),
            ("sic-inverter-design", "SiC traction inverter design", _R, False),
            ("automotive-mcu", "Automotive-grade MCU", _P, True),
            ("integrated-e-axle", "Integrated e-axle", _P, False),
            ("automotive-igbt", "Automotive IGBT module", _P, False),
            ("heat-pump-thermal", "Heat-pump thermal management", _P, False),
            ("steer-by-wire", "Steer-by-wire system", _P, False),
            ("type4-hydrogen-tank", "Type IV hydrogen tank", _P, False),
            ("hairpin-drive-motor", "Hairpin drive motor", _P, False),
            ("domain-controller", "Domain controller", _P, False),
        ],
    },
    "meddevices": {
        "title": "High-end medical equipment", "field": "Biomedical Engineering",
        "words": ["Medical", "Medical Devices", "Healthcare Technology", "Imaging"],
        "caps": [
            ("surgical-robot", "Surgical robot", _R, False),
            ("pet-scintillator", "PET scintillation crystal", _R, False),
            ("ecmo-membrane", "ECMO oxygenator membrane", _R, True),
            ("photon-counting-ct", "Photon-counting CT detector", _R, True),
            ("mri-magnet", "Superconducting MRI magnet", _P, True),
            ("ct-detector", "CT detector module", _P, False),
            ("ultrasound-transducer", "Ultrasound transducer", _P, False),
            ("interventional-catheter", "Interventional catheter", _P, False),
            ("endoscope-optics", "Endoscope optics", _P, False),
            ("ivd-reagent", "IVD reagent", _P, False),
        ],
    },
    "quantum": {
        "title": "Quantum and communications", "field": "Quantum Information",
        "words": ["Quantum", "Communications", "RF Technology", "Information Technology"],
        "caps": [
            ("superconducting-qubit", "Superconducting qubit", _R, False),
            ("qkd-system", "Quantum key distribution", _R, False),
            ("snspd", "Superconducting single-photon detector", _R, False),
            ("cold-atom-sensor", "Cold-atom sensor", _R, False),
            ("dilution-refrigerator", "Dilution refrigerator", _R, True),
            ("baw-rf-filter", "BAW RF filter", _P, True),
            ("phased-array-antenna", "Phased-array antenna", _P, False),
            ("mmwave-front-end", "Millimeter-wave front end", _P, False),
            ("optical-switch", "Optical switch", _P, False),
            ("gan-rf-pa", "GaN RF power amplifier", _P, False),
        ],
    },
    "rail": {
        "title": "Rail transit equipment", "field": "Rail Transit",
        "words": ["Rail Transit", "Locomotive", "Heavy Industry", "Transportation Equipment"],
        "caps": [
            ("maglev-levitation", "Maglev levitation control", _R, False),
            ("wheel-rail-dynamics", "Wheel-rail dynamics", _R, False),
            ("traction-igbt", "Traction IGBT", _P, False),
            ("high-speed-bogie", "High-speed bogie", _P, False),
            ("shield-tunneling-machine", "Shield tunnelling machine", _P, False),
            ("pm-traction-motor", "Permanent-magnet traction motor", _P, False),
            ("high-speed-brake", "High-speed brake system", _P, True),
            ("cbtc-train-control", "CBTC train control", _P, False),
            ("pantograph", "High-speed pantograph", _P, False),
        ],
    },
}

# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------
_INCENTIVES = {
    "institute": (0.20, ["milestone bonus", "knowledge-transfer reward"]),
    "lab": (0.15, ["major-project funding", "milestone bonus"]),
    "university": (0.12, ["knowledge-transfer reward", "talent evaluation credit"]),
    "enterprise": (0.08, ["R&D evaluation credit", "procurement preference"]),
    "sme": (0.15, ["subsidy", "listing fast track"]),
}

PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "description": "Suzhou-style city programme (13 consortia by 2023, seed 002)",
        "targets": 4, "actors": 40, "capabilities": 20, "sites": 4,
        "site_order": ["suzhou-sip", "shanghai-zhangjiang", "wuxi-hitech", "hangzhou-binjiang"],
        "sectors": ["semiconductors", "biopharma", "photonics", "wearables"],
        "ministries": ["miit"],
        "research_share": 0.35, "flagship_share": 0.0, "duplicates": 1, "blocked_share": 0.0,
        "open_share": 0.5, "mandatory": 1, "fixed": "full", "pool_cap": None,
        "distances": ([150, 200, 300, 500, 800, 1500, None],
                      [0.15, 0.15, 0.2, 0.15, 0.1, 0.1, 0.15]),
        "sponsor_frac": (0.6, 0.85), "total_frac": 0.75,
        "policy": {"max_state_share": 0.8, "min_private_members": 1, "min_outside_members": 1,
                   "foreign_can_lead": False,
                   "lead_types": {"research": ["institute", "lab"], "economic": ["enterprise"]},
                   "incentive_scale": 1.0},
    },
    "provincial": {
        "description": "Zhejiang-style provincial programme (50 consortia by 2027, seed 002)",
        "targets": 50, "actors": 2000, "capabilities": 100, "sites": 10,
        "site_order": ["hangzhou-binjiang", "hangzhou-future-sci-tech", "ningbo-hitech",
                       "shaoxing-binhai", "jiaxing-xiuzhou", "huzhou-moganshan",
                       "wenzhou-hitech", "jinhua-yiwu", "taizhou-bay", "quzhou-smart-city"],
        "sectors": None, "ministries": [],
        "research_share": 0.4, "flagship_share": 0.1, "duplicates": None, "blocked_share": 0.04,
        "open_share": 0.3, "mandatory": 2, "fixed": "forbidden", "pool_cap": None,
        "distances": ([150, 200, 300, 500, 800, 1000, 1500, None],
                      [0.15, 0.15, 0.2, 0.15, 0.1, 0.05, 0.05, 0.15]),
        "sponsor_frac": (0.5, 0.8), "total_frac": 0.6,
        "policy": {"max_state_share": 0.7, "min_private_members": 1, "min_outside_members": 0,
                   "foreign_can_lead": True,
                   "lead_types": {"research": ["institute", "lab"], "economic": ["enterprise"]},
                   "incentive_scale": 1.0},
    },
    "national": {
        "description": "National programme: hundreds of consortia across 35 clusters",
        "targets": 500, "actors": 15000, "capabilities": 300, "sites": 35,
        "site_order": [], "sectors": None, "ministries": ["miit", "most", "ndrc"],
        "research_share": 0.45, "flagship_share": 0.12, "duplicates": None,
        "blocked_share": 0.04, "open_share": 0.3, "mandatory": 4, "fixed": None,
        "pool_cap": 500,
        "distances": ([150, 200, 250, 300, 400, 500, 800, 1000, 1500, None],
                      [0.14, 0.14, 0.12, 0.14, 0.12, 0.1, 0.08, 0.06, 0.05, 0.05]),
        "sponsor_frac": (0.5, 0.8), "total_frac": 0.55,
        "policy": {"max_state_share": 0.9, "min_private_members": 0, "min_outside_members": 0,
                   "foreign_can_lead": False,
                   # names one mode only: the economic mode keeps its default
                   "lead_types": {"research": ["institute", "lab", "university"]},
                   "incentive_scale": 0.9},
    },
}

# Denser and larger national instances (issue 19), for the benchmarks of the
# decomposition by target. Dense: the candidate pools of a ministry that
# lets every target reach far (most limits 1,000 km to none) in a population
# of 55,000 actors, so that each target has about 4,400 reachable actors
# (deliverers or possible leads within its distance of one of its sites,
# seed 1: mean 4,400) against about 400 in ``national``; its monolithic
# MILP is some 10 times the national one. Larger: 2,000 targets over 60,000
# actors and 1,200 capabilities (four times the national programme), the
# radius of each target shrunk (down to 80 km) until about 500 actors near
# its first site may deliver or lead it, as in ``national``.
PRESETS["national-dense"] = {
    **PRESETS["national"],
    "description": "National programme with dense candidate pools: about 4,400 reachable "
                   "actors per target (55,000 actors, wide distance limits)",
    "actors": 55000, "pool_cap": 5500,
    "distances": ([1000, 1500, 2000, None], [0.2, 0.25, 0.25, 0.3]),
}
PRESETS["national-xl"] = {
    **PRESETS["national"],
    "description": "Large national programme: 2,000 consortia, 60,000 actors, 1,200 "
                   "capabilities across 35 clusters",
    "targets": 2000, "actors": 60000, "capabilities": 1200,
    "distances": ([80, 100, 150, 200, 250, 300, 400, 500, 800, 1000, 1500, None],
                  [0.04, 0.06, 0.12, 0.12, 0.1, 0.12, 0.1, 0.1, 0.08, 0.06, 0.05, 0.05]),
}

# The multi-year presets (SPEC section 7): a provincial and a national
# programme over five years (consortium.generate.staging adds the chains,
# durations, composition, regions, yearly budgets and milestones).
_PROGRAMME = {
    "start": 2026, "years": 5, "discount_rate": 0.05,
    "durations": ([1, 2, 3], [0.35, 0.4, 0.25]),
    "chain_share": 0.7, "call_years": 2, "regions_share": 0.35,
    "year_frac": (1.1, 1.35), "total_year_frac": (0.85, 1.05), "milestone_frac": 0.5,
}
PRESETS["programme"] = {
    **PRESETS["provincial"],
    "description": "Zhejiang-style five-year programme with Yangtze delta partners "
                   "(50 consortia by 2027, seed 002): chains, composition, yearly budgets",
    # seven Zhejiang clusters and three delta neighbours (regions SH, JS, AH)
    "site_order": ["hangzhou-binjiang", "hangzhou-future-sci-tech", "ningbo-hitech",
                   "shaoxing-binhai", "jiaxing-xiuzhou", "huzhou-moganshan", "wenzhou-hitech",
                   "shanghai-zhangjiang", "suzhou-sip", "hefei-hitech"],
    "programme": dict(_PROGRAMME),
}
PRESETS["national-programme"] = {
    **PRESETS["national"],
    "description": "National five-year programme: hundreds of consortia along innovation "
                   "chains across 35 clusters",
    "programme": {**_PROGRAMME, "discount_rate": 0.04},
}

_TYPE_SHARES = {"sme": 0.58, "enterprise": 0.16, "institute": 0.12, "university": 0.11,
                "lab": 0.03}
_OWNERSHIP = {  # type -> (state, private, foreign)
    "enterprise": (0.62, 0.28, 0.10), "sme": (0.06, 0.87, 0.07),
    "institute": (0.90, 0.10, 0.0), "university": (1.0, 0.0, 0.0), "lab": (1.0, 0.0, 0.0),
}
_NCAPS = {  # type -> (values, probabilities)
    "sme": ([2, 3, 4], [0.45, 0.35, 0.20]),
    "enterprise": ([3, 4, 5, 6], [0.25, 0.30, 0.25, 0.20]),
    "institute": ([3, 4, 5, 6], [0.30, 0.30, 0.25, 0.15]),
    "university": ([2, 3, 4, 5], [0.25, 0.35, 0.25, 0.15]),
    "lab": ([3, 4, 5, 6], [0.20, 0.30, 0.30, 0.20]),
}
_STAGE_PREF = {  # type -> weight of (research, production) capabilities
    "sme": (0.5, 3.0), "enterprise": (1.0, 3.0), "institute": (3.0, 1.0),
    "university": (3.0, 1.0), "lab": (3.0, 0.8),
}
_LEVEL_MEAN = {  # (type, stage) -> mean readiness level
    ("institute", _R): 6.2, ("institute", _P): 4.2, ("university", _R): 5.8,
    ("university", _P): 3.8, ("lab", _R): 7.0, ("lab", _P): 4.5,
    ("enterprise", _R): 4.8, ("enterprise", _P): 7.0, ("sme", _R): 4.0, ("sme", _P): 6.3,
}
_COST = {  # type -> (median CNY million, sigma)
    "enterprise": (9.0, 0.4), "sme": (2.2, 0.4), "institute": (5.0, 0.35),
    "university": (3.2, 0.35), "lab": (8.0, 0.3),
}
_MAX_CONSORTIA = {
    "enterprise": ([2, 3], [0.5, 0.5]), "sme": ([1, 2], [0.6, 0.4]),
    "institute": ([2, 3], [0.6, 0.4]), "university": ([1, 2, 3], [0.3, 0.4, 0.3]),
    "lab": ([2, 3], [0.4, 0.6]),
}

_BRANDS = ["Huarui", "Xinyuan", "Tianhe", "Hengtong", "Ruike", "Jingwei", "Zhongcheng",
           "Boyuan", "Lianchuang", "Kaixin", "Mingyang", "Yongxin", "Haiguang", "Changxin",
           "Shengda", "Anxin", "Dingtai", "Weixing", "Jiahe", "Ronghua", "Xinghe", "Guoxin",
           "Huachuang", "Ziguang", "Tongfang", "Jinpan", "Yuanjing", "Zhihui", "Qianfan",
           "Lingyun"]
_STATE_PREFIX = ["China", "Sino", "National", "Guoke", "Zhongke", "CETC", "AVIC", "CASC"]
_FOREIGN = ["Nordtek", "Alpenwerk", "Kitano", "Hanseong", "Vexar", "Lumicore", "Brightmoor",
            "Sakurai", "Delacroix", "Rheinfeld", "Oakridge", "Valmont"]
