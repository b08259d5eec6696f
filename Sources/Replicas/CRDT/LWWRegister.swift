/// Last-writer-wins register: the value with the highest stamp (HLC, then author, then
/// sequence number) wins; equal stamps mean the same write.
public struct LWWRegister<Value: Equatable & Sendable>: Mergeable {
    public private(set) var value: Value
    public private(set) var stamp: WriteStamp

    public init(_ value: Value, stamp: WriteStamp) {
        self.value = value
        self.stamp = stamp
    }

    /// Writes `value` if `stamp` is newer than the current one.
    public mutating func assign(_ value: Value, stamp: WriteStamp) {
        if stamp > self.stamp {
            self.value = value
            self.stamp = stamp
        }
    }

    public func merged(with other: LWWRegister) -> LWWRegister {
        other.stamp > stamp ? other : self
    }
}
