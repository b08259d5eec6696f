import Foundation
import Simulation

/// The scenario reader: any bytes as a scenario file.
struct ScenarioTarget: FuzzTarget {
    func run(_ bytes: [UInt8]) {
        _ = try? Scenario(json: Data(bytes))
    }
}
