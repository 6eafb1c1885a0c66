/// The 42 fields of UCI Census-Income (KDD), in file order, with their canonical names and the
/// names torch-rechub's processed samples use, shared by ``CensusIncomeConverter`` and
/// ``CensusIncomeSampleConverter`` so both folders name the same data the same way.
enum CensusIncomeFields {
    struct Field {
        /// The canonical column name.
        var name: String
        /// The header name in torch-rechub's samples (`nil`: not in the samples).
        var sampleName: String?
        /// A continuous value (a dense column); otherwise a category or a code.
        var continuous = false
    }

    /// The raw file's fields, in order.
    static let all: [Field] = [
        Field(name: "age", sampleName: "age", continuous: true),
        Field(name: "class_of_worker", sampleName: "class of worker"),
        Field(name: "industry_code", sampleName: "industry code"),
        Field(name: "occupation_code", sampleName: "occupation code"),
        Field(name: "education", sampleName: "education"),
        Field(name: "wage_per_hour", sampleName: "wage per hour", continuous: true),
        Field(name: "enrolled_in_education_last_week", sampleName: "enrolled in edu inst last wk"),
        Field(name: maritalStatus, sampleName: "marital status"),
        Field(name: "major_industry_code", sampleName: "major industry code"),
        Field(name: "major_occupation_code", sampleName: "major occupation code"),
        Field(name: "race", sampleName: "race"),
        Field(name: "hispanic_origin", sampleName: "hispanic origin"),
        Field(name: "sex", sampleName: "sex"),
        Field(name: "labor_union_member", sampleName: "member of a labor union"),
        Field(name: "unemployment_reason", sampleName: "reason for unemployment"),
        Field(name: "employment_status", sampleName: "full or part time employment stat"),
        Field(name: "capital_gains", sampleName: "capital gains", continuous: true),
        Field(name: "capital_losses", sampleName: "capital losses", continuous: true),
        Field(name: "dividends_from_stocks", sampleName: "divdends from stocks", continuous: true),
        Field(name: "tax_filer_status", sampleName: "tax filer status"),
        Field(name: "previous_residence_region", sampleName: "region of previous residence"),
        Field(name: "previous_residence_state", sampleName: "state of previous residence"),
        Field(name: "household_family_status", sampleName: "detailed household and family stat"),
        Field(name: "household_summary", sampleName: "detailed household summary in household"),
        Field(name: instanceWeight, sampleName: nil, continuous: true),
        Field(name: "migration_msa_change", sampleName: "migration code-change in msa"),
        Field(name: "migration_region_change", sampleName: "migration code-change in reg"),
        Field(name: "migration_within_region_move", sampleName: "migration code-move within reg"),
        Field(name: "same_house_one_year_ago", sampleName: "live in this house 1 year ago"),
        Field(name: "previous_residence_in_sunbelt", sampleName: "migration prev res in sunbelt"),
        Field(
            name: "persons_worked_for_employer", sampleName: "num persons worked for employer",
            continuous: true),
        Field(name: "family_members_under_18", sampleName: "family members under 18"),
        Field(name: "father_birth_country", sampleName: "country of birth father"),
        Field(name: "mother_birth_country", sampleName: "country of birth mother"),
        Field(name: "birth_country", sampleName: "country of birth self"),
        Field(name: "citizenship", sampleName: "citizenship"),
        Field(name: "self_employed", sampleName: "own business or self employed"),
        Field(
            name: "veterans_questionnaire", sampleName: "fill inc questionnaire for veterans admin"),
        Field(name: "veterans_benefits", sampleName: "veterans benefits"),
        Field(name: "weeks_worked", sampleName: "weeks worked in year", continuous: true),
        Field(name: "year", sampleName: "year"),
        Field(name: income, sampleName: "income"),
    ]

    static let maritalStatus = "marital_status"
    static let instanceWeight = "instance_weight"
    static let income = "income"
    /// The second task's label, derived from the marital status.
    static let neverMarried = "never_married"

    /// The model inputs: every field but the marital status (the second label's source), the
    /// survey weight and the income.
    static var features: [Field] {
        all.filter { ![maritalStatus, instanceWeight, income].contains($0.name) }
    }

    /// "field→name" for every renamed field, for the notes.
    static var renaming: String {
        all.compactMap { field in field.sampleName.map { "'\($0)'→\(field.name)" } }.joined(
            separator: ", ")
    }

    static let citation = """
        UCI Census-Income (KDD) (1994/1995 Current Population Surveys, US Census Bureau; donated by Terran \
        Lane and Ronny Kohavi). Multi-task use: Jiaqi Ma et al., Modeling Task Relationships in Multi-task \
        Learning with Multi-gate Mixture-of-Experts, KDD 2018 (task 1 income > 50K, task 2 never married). \
        Licence: CC BY 4.0 (cite the UCI repository entry).
        """
}
