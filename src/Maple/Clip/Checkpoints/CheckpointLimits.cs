namespace Maple.Clip.Checkpoints;

/// <summary>
/// How much memory reading a PyTorch file (torch.save, TorchScript) may take, relative to the file. Every size
/// a file declares is checked against what the file holds before anything is allocated; these limits bound what
/// a small hostile file could still make the reader build (copies of memoised objects, views copied out of a
/// storage, records that decompress to much more than they take in the archive). Real checkpoints stay far
/// below them; a file that hits one is refused with a message naming the limit.
/// </summary>
public sealed record CheckpointLimits
{
    /// <summary>The limits used when none are given.</summary>
    public static CheckpointLimits Default { get; } = new();

    /// <summary>
    /// The largest pickle or code record read from a zip archive, after decompression (256 MiB). The pickles of
    /// real checkpoints, even of whole TorchScript models, are well under 1 MiB: the tensors live in other records.
    /// </summary>
    public long MaxRecordBytes { get; init; } = 256L << 20;

    /// <summary>
    /// The managed memory the unpickler may allocate, per byte of pickle (64), on top of
    /// <see cref="MemoryAllowanceBytes"/>. A pickle builds a few objects per opcode; only a pickle that copies
    /// the same object again and again through an allowed global needs more.
    /// </summary>
    public int PickleBytesPerInputByte { get; init; } = 64;

    /// <summary>
    /// The tensor memory (storages read plus views copied out of them) allowed per byte of file (4), on top of
    /// <see cref="MemoryAllowanceBytes"/>. A checkpoint's storages are at most its size; copies of slices and
    /// transposes add at most that again, unless many views copy the same storage.
    /// </summary>
    public double TensorBytesPerFileByte { get; init; } = 4;

    /// <summary>Added to both budgets (64 MiB), so that small files are never limited by their size.</summary>
    public long MemoryAllowanceBytes { get; init; } = 64L << 20;

    /// <summary>
    /// How deeply containers may nest (1000) wherever the reader walks them: hashing and comparing dict keys,
    /// building tensors, walking TorchScript modules. Real checkpoints nest fewer than 20 levels.
    /// </summary>
    public const int MaxNestingDepth = 1000;

    internal long PickleBudget(long pickleBytes) => Saturating(MemoryAllowanceBytes, (double)PickleBytesPerInputByte * pickleBytes);

    internal long TensorBudget(long fileBytes) => Saturating(MemoryAllowanceBytes, TensorBytesPerFileByte * fileBytes);

    static long Saturating(long allowance, double scaled) =>
        scaled + allowance >= long.MaxValue ? long.MaxValue : allowance + (long)scaled;

    /// <summary>The sentence a refusal ends with: which limit to raise.</summary>
    internal static string RaiseHint(string property) =>
        $"if the file is trusted and this is expected, raise {nameof(CheckpointLimits)}.{property}";
}
