using System.IO.Compression;
using System.IO.Hashing;
using static TorchSharp.torch;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// The zip layout torch.save has written since PyTorch 1.6: <c>&lt;archive&gt;/data.pkl</c> is the pickle,
/// <c>&lt;archive&gt;/data/&lt;key&gt;</c> holds each storage's raw bytes, and <c>&lt;archive&gt;/byteorder</c>
/// (PyTorch 2.1+) says their byte order, little-endian when absent. The archive folder's name varies
/// (it is the saved file's stem in older versions, "archive" in newer ones). <c>torch.jit.save</c> writes the
/// same layout plus <c>&lt;archive&gt;/code/</c> (the model's TorchScript source) and <c>constants.pkl</c>: its
/// pickle names the archive's <c>__torch__</c> classes, which are read as inert records (see
/// <see cref="TorchScriptReader"/>).
/// </summary>
sealed class TorchZipFile : TorchCheckpointFile
{
    // Deflate cannot expand data more than about 1032 times; a record that claims more is damaged or hostile.
    const long MaxDeflateRatio = 1032;

    readonly FileStream stream;
    readonly ZipArchive archive;
    readonly string prefix;
    readonly bool bigEndian;
    readonly Dictionary<string, TorchStorageRef> storages = new(StringComparer.Ordinal);

    public TorchZipFile(string path, CheckpointLimits limits)
        : base(path, limits)
    {
        stream = File.OpenRead(path);
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var pickles = archive.Entries
                .Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                .ToList();
            if (pickles.Count != 1)
            {
                var torchScript = archive.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal));
                throw new InvalidDataException(pickles.Count == 0
                    ? $"{path} is a zip archive without a <archive>/data.pkl record, so not a torch.save file" +
                      (torchScript ? " (it looks like a TorchScript archive from torch.jit.save)" : "")
                    : $"{path} holds {pickles.Count} data.pkl records; a torch.save file has one");
            }
            prefix = pickles[0].FullName[..^"data.pkl".Length];
            IsTorchScript = archive.GetEntry(prefix + "constants.pkl") is not null
                || archive.Entries.Any(e => e.FullName.StartsWith(prefix + "code/", StringComparison.Ordinal));
            bigEndian = ReadByteOrder();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && ex is not UnsafePickleException)
        {
            archive?.Dispose();
            stream.Dispose();
            if (ex.Message.Contains(path, StringComparison.Ordinal))
                throw;
            throw new InvalidDataException($"{path} is not a readable torch.save file (zip): {ex.Message}", ex);
        }
    }

    /// <summary>Whether the archive was written by torch.jit.save (it has TorchScript code or constants).</summary>
    public bool IsTorchScript { get; }

    public override long Length => stream.Length;

    public override object? Unpickle()
    {
        var bytes = ReadRecord("data.pkl") ?? throw new InvalidDataException($"{Path} has no {prefix}data.pkl record");
        using var pickle = new MemoryStream(bytes, writable: false);
        return new Unpickler(pickle, Path, pid => StorageFromPersistentId(pid, storages, legacy: false), Limits, IsTorchScript).Load();
    }

    /// <summary>
    /// The whole record <c>&lt;archive&gt;/<paramref name="name"/></c> (a pickle or code), CRC-checked, or null
    /// when the archive has none; its size is checked against <see cref="CheckpointLimits.MaxRecordBytes"/> first.
    /// </summary>
    public byte[]? ReadRecord(string name)
    {
        var entry = archive.GetEntry(prefix + name);
        if (entry is null)
            return null;
        CheckDeclaredSize(entry, name);
        if (entry.Length > Limits.MaxRecordBytes)
            throw new InvalidDataException(
                $"{Path}: its {prefix}{name} record is {entry.Length} bytes, more than the {Limits.MaxRecordBytes} bytes " +
                "a pickle or code record may take; " + CheckpointLimits.RaiseHint(nameof(CheckpointLimits.MaxRecordBytes)));
        var bytes = new byte[entry.Length];
        ReadEntry(entry, name, s => s.ReadExactly(bytes));
        CheckCrc(entry, name, Crc32.HashToUInt32(bytes));
        return bytes;
    }

    /// <summary>The names of the records under <c>&lt;archive&gt;/</c>, without that prefix.</summary>
    public IEnumerable<string> RecordNames => archive.Entries
        .Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal))
        .Select(e => e.FullName[prefix.Length..]);

    // The central directory's sizes come from the file: a record cannot take more bytes than the archive has,
    // and deflate cannot expand past its ratio, whatever the record claims.
    void CheckDeclaredSize(ZipArchiveEntry entry, string name)
    {
        var compressed = entry.CompressedLength;
        if (compressed < 0 || compressed > stream.Length || entry.Length < 0
            || entry.Length > Math.Max(compressed, compressed * MaxDeflateRatio + 1024))
            throw new InvalidDataException(
                $"{Path} is damaged: its {prefix}{name} record declares {entry.Length} bytes from {compressed} stored bytes " +
                $"in an archive of {stream.Length}");
    }

    public override Tensor Read(TorchStorageRef storage, ScalarType dtype)
    {
        var name = $"data/{storage.Key}";
        var entry = archive.GetEntry(prefix + name)
            ?? throw new InvalidDataException($"{Path} has no {prefix}{name} record for a storage its pickle uses");
        CheckDeclaredSize(entry, name);
        if (entry.Length < storage.ByteCount)
            throw new InvalidDataException($"{Path}: storage record {prefix}{name} holds {entry.Length} bytes, but its pickle needs {storage.ByteCount}");
        // The CRC covers the whole record, so it can be checked when the tensor uses all of it (as torch.save writes it).
        var crc = entry.Length == storage.ByteCount ? new Crc32() : null;
        Tensor? tensor = null;
        ReadEntry(entry, name, s => tensor = StorageReader.Read(s, storage.ByteCount, dtype, bigEndian,
            $"storage record {prefix}{name} in {Path}", crc is null ? null : crc.Append));
        if (crc is not null)
        {
            try
            {
                CheckCrc(entry, name, crc.GetCurrentHashAsUInt32());
            }
            catch
            {
                tensor!.Dispose();
                throw;
            }
        }
        return tensor!;
    }

    public override void Dispose()
    {
        archive.Dispose();
        stream.Dispose();
    }

    bool ReadByteOrder()
    {
        var entry = archive.GetEntry(prefix + "byteorder");
        if (entry is null)
            return false;
        if (entry.Length > 16)
            throw new InvalidDataException($"{Path} has a byte order record of {entry.Length} bytes; it holds 'little' or 'big'");
        string order = "";
        ReadEntry(entry, "byteorder", s =>
        {
            using var reader = new StreamReader(s);
            var text = new char[16];
            order = new string(text, 0, reader.ReadBlock(text)).Trim();
        });
        return order switch
        {
            "little" => false,
            "big" => true,
            _ => throw new InvalidDataException($"{Path} has an unknown byte order '{order}'"),
        };
    }

    // .NET's zip reader does not check CRCs, and a damaged pickle would otherwise be reported as a refused opcode.
    void CheckCrc(ZipArchiveEntry entry, string name, uint actual)
    {
        if (actual != entry.Crc32)
            throw new InvalidDataException($"{Path} is damaged: its {prefix}{name} record does not match its CRC-32");
    }

    // A damaged archive can fail in the middle of any record: say which file and record.
    void ReadEntry(ZipArchiveEntry entry, string name, Action<Stream> read)
    {
        try
        {
            using var entryStream = entry.Open();
            read(entryStream);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && ex is not UnsafePickleException && !ex.Message.Contains(Path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{Path}: cannot read its {prefix}{name} record: {ex.Message}", ex);
        }
    }
}
