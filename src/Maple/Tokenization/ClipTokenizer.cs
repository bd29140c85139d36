using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using TorchSharp;

namespace Maple.Tokenization;

/// <summary>
/// CLIP's byte-level BPE tokenizer, giving the ids of the reference tokenizer (OpenAI CLIP's
/// <c>simple_tokenizer</c>, which open_clip and MaPLe use).
/// </summary>
/// <remarks>
/// The text is cleaned by <see cref="ClipNormalizer"/>, split into words by the reference's
/// pattern, and each word's UTF-8 bytes are merged by <see cref="BpeTokenizer"/> with
/// <c>&lt;/w&gt;</c> marking the end of the word. The special tokens are recognised only when
/// they stand alone as a word of that pattern, as in the reference. Instances are immutable and
/// safe to use from several threads; <see cref="FromFiles"/> returns the same instance for the
/// same unchanged files.
/// </remarks>
public sealed class ClipTokenizer
{
    /// <summary>The id of <c>&lt;|startoftext|&gt;</c> in CLIP's vocabulary (<see cref="StartOfTextId"/> of any other).</summary>
    public const int StartOfText = 49406;

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c> in CLIP's vocabulary (<see cref="EndOfTextId"/> of any other).</summary>
    public const int EndOfText = 49407;

    /// <summary>CLIP's text context length: tokens per prompt, start and end included.</summary>
    public const int DefaultContextLength = 77;

    const string StartOfTextToken = "<|startoftext|>";
    const string EndOfTextToken = "<|endoftext|>";
    const string EndOfWordSuffix = "</w>";

    static readonly Lock LoadedLock = new();
    static readonly Dictionary<LoadKey, ClipTokenizer> Loaded = [];

    readonly BpeTokenizer _bpe;
    readonly string[] _tokensById;

    ClipTokenizer(Dictionary<string, int> vocabulary, List<string> merges, bool normalizeToNfc, string source)
    {
        VocabularySize = vocabulary.Count;
        NormalizeToNfc = normalizeToNfc;
        StartOfTextId = vocabulary[StartOfTextToken];
        EndOfTextId = vocabulary[EndOfTextToken];
        _tokensById = new string[vocabulary.Count];
        foreach (var (token, id) in vocabulary)
            _tokensById[id] = token;

        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
            {
                Merges = merges,
                Normalizer = new ClipNormalizer(normalizeToNfc),
                PreTokenizer = new ClipPreTokenizer(),
                SpecialTokens = new Dictionary<string, int> { [StartOfTextToken] = StartOfTextId, [EndOfTextToken] = EndOfTextId },
                EndOfWordSuffix = EndOfWordSuffix,
                ByteLevel = true,
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"The vocabulary and merges in {source} do not form a BPE model: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads the tokenizer from a Hugging Face style <c>vocab.json</c> (token to id) and
    /// <c>merges.txt</c> (one merge a line, in rank order, after an optional <c>#version</c> line).
    /// </summary>
    /// <param name="vocabJsonPath">The vocabulary file.</param>
    /// <param name="mergesPath">The merges file.</param>
    /// <param name="normalizeToNfc">
    /// Whether to compose text to Unicode NFC first, as the reference's ftfy step does (see
    /// <see cref="ClipNormalizer"/>); off reproduces the reference run without ftfy.
    /// </param>
    /// <returns>The tokenizer; the same instance again for the same unchanged files and options.</returns>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static ClipTokenizer FromFiles(string vocabJsonPath, string mergesPath, bool normalizeToNfc = true)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesPath);
        var vocabFile = new FileInfo(vocabJsonPath);
        var mergesFile = new FileInfo(mergesPath);
        foreach (var file in new[] { vocabFile, mergesFile })
        {
            if (!file.Exists)
                throw new FileNotFoundException($"CLIP tokenizer file not found: {file.FullName}", file.FullName);
        }

        // Loading takes a fraction of a second; prompts are tokenized far more often than that.
        var key = new LoadKey(vocabFile.FullName, vocabFile.Length, vocabFile.LastWriteTimeUtc,
            mergesFile.FullName, mergesFile.Length, mergesFile.LastWriteTimeUtc, normalizeToNfc);
        lock (LoadedLock)
        {
            if (Loaded.TryGetValue(key, out var loaded))
                return loaded;
        }

        var tokenizer = new ClipTokenizer(ReadVocabulary(vocabFile.FullName), ReadMerges(mergesFile.FullName),
            normalizeToNfc, $"{vocabFile.FullName} and {mergesFile.FullName}");
        lock (LoadedLock)
        {
            return Loaded.TryAdd(key, tokenizer) ? tokenizer : Loaded[key];
        }
    }

    /// <summary>Loads the tokenizer from the <c>vocab.json</c> and <c>merges.txt</c> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder, such as a Hugging Face CLIP model folder.</param>
    /// <param name="normalizeToNfc">Whether to compose text to Unicode NFC first; see <see cref="FromFiles"/>.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static ClipTokenizer FromDirectory(string directory, bool normalizeToNfc = true)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"CLIP tokenizer folder not found: {Path.GetFullPath(directory)}");
        return FromFiles(Path.Combine(directory, "vocab.json"), Path.Combine(directory, "merges.txt"), normalizeToNfc);
    }

    /// <summary>The number of tokens in the vocabulary (49,408 for CLIP).</summary>
    public int VocabularySize { get; }

    /// <summary>The id of <c>&lt;|startoftext|&gt;</c>, which starts every encoded prompt: the second-highest id.</summary>
    public int StartOfTextId { get; }

    /// <summary>The id of <c>&lt;|endoftext|&gt;</c>, which ends every encoded prompt: the highest id.</summary>
    public int EndOfTextId { get; }

    /// <summary>Whether text is composed to Unicode NFC before anything else.</summary>
    public bool NormalizeToNfc { get; }

    /// <summary>Encodes <paramref name="text"/> to BPE ids, without start and end of text.</summary>
    /// <param name="text">Any text; it is cleaned and lower-cased first.</param>
    /// <returns>The ids, as the reference tokenizer's <c>encode</c> gives them.</returns>
    /// <exception cref="ArgumentException">The text holds an unpaired surrogate.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _bpe.EncodeToIds(text);
    }

    /// <summary>
    /// Encodes <paramref name="text"/> as the text encoder takes it: start of text, the BPE ids,
    /// end of text, then zeros up to <paramref name="contextLength"/>.
    /// </summary>
    /// <param name="text">The prompt.</param>
    /// <param name="contextLength">The length of the result, at least 2.</param>
    /// <param name="truncate">
    /// What to do with a prompt that does not fit: <see langword="false"/> throws; <see langword="true"/>
    /// keeps the first <paramref name="contextLength"/> − 1 tokens and puts end of text last, as
    /// open_clip's <c>tokenize</c> does.
    /// </param>
    /// <returns>The <paramref name="contextLength"/> ids.</returns>
    /// <exception cref="PromptTooLongException">The prompt does not fit and <paramref name="truncate"/> is off.</exception>
    public long[] EncodeForModel(string text, int contextLength = DefaultContextLength, bool truncate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        var row = new long[contextLength];
        Fill(row, text, truncate);
        return row;
    }

    /// <summary>Encodes each prompt as <see cref="EncodeForModel"/> does, into one tensor.</summary>
    /// <param name="texts">The prompts.</param>
    /// <param name="contextLength">The length of each row, at least 2.</param>
    /// <param name="truncate">Whether to truncate prompts that do not fit rather than throw.</param>
    /// <returns>An int64 tensor of shape [<paramref name="texts"/>.Count, <paramref name="contextLength"/>] on the CPU.</returns>
    /// <exception cref="PromptTooLongException">A prompt does not fit and <paramref name="truncate"/> is off.</exception>
    public torch.Tensor Tokenize(IReadOnlyList<string> texts, int contextLength = DefaultContextLength, bool truncate = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        var ids = new long[texts.Count * contextLength];
        for (var i = 0; i < texts.Count; i++)
            Fill(ids.AsSpan(i * contextLength, contextLength), texts[i], truncate);
        return torch.tensor(ids, [texts.Count, contextLength], torch.int64);
    }

    /// <summary>
    /// Turns ids back into text, as the reference's <c>decode</c> does: the tokens' bytes are
    /// decoded as UTF-8 (invalid sequences become U+FFFD) and each end of word becomes a space.
    /// </summary>
    /// <remarks>
    /// The result is the cleaned, lower-cased text with a space after every word, punctuation
    /// included ("a photo of a cat . "), so it is for reading, not for a round trip. Special
    /// tokens and padding are decoded like any other id: leave them out.
    /// </remarks>
    /// <param name="ids">Token ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        // BpeTokenizer.Decode drops the end-of-word marks instead of turning them into spaces.
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_tokensById.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary.");
            foreach (var c in _tokensById[id])
            {
                // Only a vocabulary other than CLIP's could hold a character outside the alphabet.
                if (ByteLevelAlphabet.TryGetByte(c, out var b))
                    bytes.Add(b);
                else
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]).Replace(EndOfWordSuffix, " ", StringComparison.Ordinal);
    }

    void Fill(Span<long> row, string text, bool truncate)
    {
        var ids = Encode(text);
        var needed = ids.Count + 2;
        if (needed > row.Length && !truncate)
            throw new PromptTooLongException(text, needed, row.Length);

        var kept = Math.Min(ids.Count, row.Length - 2);
        row.Clear();
        row[0] = StartOfTextId;
        for (var i = 0; i < kept; i++)
            row[i + 1] = ids[i];
        row[kept + 1] = EndOfTextId;
    }

    static Dictionary<string, int> ReadVocabulary(string path)
    {
        Dictionary<string, int>? vocabulary;
        try
        {
            using var stream = File.OpenRead(path);
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a JSON object of tokens to ids: {e.Message}", e);
        }
        if (vocabulary is null || vocabulary.Count == 0)
            throw new InvalidDataException($"{path} holds no vocabulary.");
        // Ids number the tokens from 0, each once, as in every Hugging Face BPE vocabulary.
        var seen = new bool[vocabulary.Count];
        foreach (var (token, id) in vocabulary)
        {
            if (id < 0 || id >= seen.Length || seen[id])
                throw new InvalidDataException($"{path} gives the token \"{token}\" the id {id}; ids must be 0 to {seen.Length - 1}, each used once.");
            seen[id] = true;
        }
        // The text encoder reads its output at the highest id of each row, which must be the end of text;
        // CLIP's vocabulary (49,408 tokens) and the demo's small one both end with the two special tokens.
        foreach (var (token, id) in new[] { (StartOfTextToken, vocabulary.Count - 2), (EndOfTextToken, vocabulary.Count - 1) })
        {
            if (!vocabulary.TryGetValue(token, out var actual) || actual != id)
                throw new InvalidDataException($"{path} is not a CLIP-style vocabulary: {token} should have id {id} (the special tokens come last).");
        }
        return vocabulary;
    }

    static List<string> ReadMerges(string path)
    {
        var merges = new List<string>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0)
                continue;
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"{path} line {lineNumber} is not a merge of two tokens separated by one space: \"{line}\".");
            merges.Add(line);
        }
        if (merges.Count == 0)
            throw new InvalidDataException($"{path} holds no merges.");
        return merges;
    }

    readonly record struct LoadKey(
        string VocabPath, long VocabLength, DateTime VocabWritten,
        string MergesPath, long MergesLength, DateTime MergesWritten,
        bool NormalizeToNfc);
}
