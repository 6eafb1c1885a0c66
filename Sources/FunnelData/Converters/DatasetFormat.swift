/// The source formats ``DatasetConverter`` turns into a canonical dataset folder.
///
/// Each case reads one folder laid out as in `shared/data` (or, for `esmm-dump`, the folder
/// `torch_esmm.py --dump DIR` writes) and names its converter. Raw values are lowercase-hyphen
/// so they read well as a command-line argument.
public enum DatasetFormat: String, CaseIterable, Codable, Sendable {
    /// Ali-CCP (ESMM, SIGIR 2018), torch-rechub's processed sample: `ali_ccp_{train,val,test}_sample.csv`.
    case aliCCP = "ali-ccp"
    /// AliExpress search logs (US), torch-rechub's processed sample: `aliexpress_{train,test}_sample.csv`.
    case aliExpress = "aliexpress"
    /// Coat (Schnabel et al., ICML 2016): the MNAR train and uniform-random test matrices,
    /// the learned propensities and the one-hot user and item features.
    case coat
    /// Open Bandit Dataset (Saito et al., NeurIPS 2021): `{random,bts}/{all,men,women}/` logs
    /// with logged propensities, and the item tables.
    case openBandit = "open-bandit"
    /// MovieLens ml-latest-small (Sep 2018): `ratings.csv`, `movies.csv`, `tags.csv`.
    case movieLens = "movielens"
    /// UCI Census-Income (KDD), the raw test file `census-income.test.gz` (99,762 rows), split
    /// into train, validation and test.
    case censusIncome = "census-income"
    /// Census-Income, torch-rechub's processed samples `census_income_{train,val,test}_sample.csv`.
    case censusIncomeSample = "census-income-sample"
    /// KuaiRand-1K, the 200-row joined log sample `kuairand_1k_sample.csv`.
    case kuaiRand = "kuairand"
    /// KuaiRand-Pure, the video table `video_features_basic_pure.csv` (its ids do not join the
    /// KuaiRand-1K log sample, so it is a dataset of its own).
    case kuaiRandVideos = "kuairand-videos"
    /// The synthetic entire-space log of `shared/bench/torch_esmm.py --dump DIR`:
    /// `train.csv` and `test.csv`, hard-linked into the output.
    case esmmDump = "esmm-dump"

    /// The folder of `shared/data` that holds this format's source, or `nil` for a format
    /// that is generated rather than kept there.
    public var sharedFolder: String? {
        switch self {
        case .aliCCP: "ali-ccp-sample"
        case .aliExpress: "aliexpress-sample"
        case .coat: "coat"
        case .openBandit: "open-bandit-dataset"
        case .movieLens: "movielens-latest-small"
        case .censusIncome, .censusIncomeSample: "census-income-kdd"
        case .kuaiRand, .kuaiRandVideos: "kuairand-sample"
        case .esmmDump: nil
        }
    }

    /// Converts `source` into `output` (see ``DatasetConverter/convert(_:source:output:)``).
    func convert(source: String, into output: inout ConversionOutput) throws {
        switch self {
        case .aliCCP: try AliCCPConverter(source: source).convert(into: &output)
        case .aliExpress: try AliExpressConverter(source: source).convert(into: &output)
        case .coat: try CoatConverter(source: source).convert(into: &output)
        case .openBandit: try OpenBanditConverter(source: source).convert(into: &output)
        case .movieLens: try MovieLensConverter(source: source).convert(into: &output)
        case .censusIncome: try CensusIncomeConverter(source: source).convert(into: &output)
        case .censusIncomeSample:
            try CensusIncomeSampleConverter(source: source).convert(into: &output)
        case .kuaiRand: try KuaiRandConverter(source: source).convert(into: &output)
        case .kuaiRandVideos: try KuaiRandVideoConverter(source: source).convert(into: &output)
        case .esmmDump: try ESMMDumpConverter(source: source).convert(into: &output)
        }
    }
}
