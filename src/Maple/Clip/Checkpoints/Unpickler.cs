using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Maple.Clip.Checkpoints;

/// <summary>
/// A pickle virtual machine (protocols 0 to 5) that builds only data. It is hand-written because no
/// maintained .NET library unpickles torch files safely: Python's own unpickler imports and calls any
/// global a pickle names, and the .NET ports follow it. Here every global goes through the allow-list in
/// <see cref="TorchGlobals"/>, which gives each accepted name a fixed, code-free meaning, and opcodes that
/// only exist to reach arbitrary code (extension registry, out-of-band buffers) are refused.
/// </summary>
/// <remarks>
/// Python values come out as: dict → <see cref="OrderedDictionary{TKey, TValue}"/> of object to object?,
/// list → <see cref="List{T}"/>, tuple → object?[], set → <see cref="HashSet{T}"/>, int → long (or
/// <see cref="BigInteger"/> past 64 bits), float → double, str → string, bytes → byte[], bool, None → null;
/// tensors stay <see cref="PendingTensor"/> until their storages are read.
/// </remarks>
sealed class Unpickler
{
    const int HighestProtocol = 5;

    readonly Stream input;
    readonly string source;
    readonly Func<object?, object?> persistentLoad;
    readonly bool torchScript;
    readonly long allocationBudget;
    readonly List<object?> stack = [];
    readonly Stack<int> marks = new();
    readonly Dictionary<long, object?> memo = [];

    /// <param name="input">A seekable stream positioned at the pickle; it is left just after the STOP opcode.</param>
    /// <param name="source">The file, for messages.</param>
    /// <param name="persistentLoad">Turns a persistent id (torch's storage references) into a value.</param>
    /// <param name="limits">Bounds the managed memory the pickle may make the unpickler allocate.</param>
    /// <param name="torchScript">
    /// The pickle is a TorchScript archive's: its <c>__torch__.*</c> classes are kept as inert
    /// <see cref="PickledObject"/> records and TorchScript's own list helpers are accepted.
    /// </param>
    public Unpickler(Stream input, string source, Func<object?, object?> persistentLoad, CheckpointLimits limits, bool torchScript = false)
    {
        if (!input.CanSeek)
            throw new ArgumentException("the pickle stream must be seekable", nameof(input));
        this.input = input;
        this.source = source;
        this.persistentLoad = persistentLoad;
        this.torchScript = torchScript;
        allocationBudget = limits.PickleBudget(input.Length);
    }

    /// <summary>Runs the pickle to its STOP opcode and returns the value it built.</summary>
    public object? Load()
    {
        // Every opcode consumes input, so what it allocates is bounded by the pickle's length, except when an
        // allowed global copies an object the memo already holds: the thread's allocation counter sees both.
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (true)
        {
            if (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore > allocationBudget)
                throw new InvalidDataException(
                    $"{source}: its pickle builds more than {allocationBudget >> 20} MiB of objects from {input.Length} bytes " +
                    $"(it copies the same data again and again, as no checkpoint does); " +
                    CheckpointLimits.RaiseHint(nameof(CheckpointLimits.PickleBytesPerInputByte)));
            var offset = input.Position;
            var op = input.ReadByte();
            if (op < 0)
                throw Malformed("the pickle ends before its STOP opcode", offset);
            try
            {
                if (op == '.')
                {
                    if (stack.Count != 1 || marks.Count != 0)
                        throw new InvalidDataException("STOP with an unbalanced stack");
                    return stack[0];
                }
                Execute((byte)op, offset);
            }
            catch (UnsafePickleException)
            {
                throw;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or InvalidCastException
                or OverflowException or ArgumentException or FormatException or InvalidOperationException
                or KeyNotFoundException or IndexOutOfRangeException)
            {
                throw Malformed(ex.Message, offset, ex);
            }
        }
    }

    InvalidDataException Malformed(string message, long offset, Exception? inner = null) =>
        new($"{source} is not a readable torch checkpoint: {message} (pickle offset {offset})", inner);

    void Execute(byte op, long offset)
    {
        switch (op)
        {
            case 0x80: // PROTO
                var protocol = ReadByte();
                if (protocol > HighestProtocol)
                    throw new InvalidDataException($"pickle protocol {protocol} is newer than {HighestProtocol}");
                break;
            case 0x95: // FRAME: a length hint only
                ReadExactly(8);
                break;
            case (byte)'(': // MARK
                marks.Push(stack.Count);
                break;
            case (byte)'0': // POP
                if (marks.Count > 0 && marks.Peek() == stack.Count)
                    marks.Pop();
                else
                    Pop();
                break;
            case (byte)'1': // POP_MARK
                PopMark();
                break;
            case (byte)'2': // DUP
                stack.Add(Peek());
                break;

            case (byte)'N': stack.Add(null); break;
            case 0x88: stack.Add(true); break; // NEWTRUE
            case 0x89: stack.Add(false); break; // NEWFALSE
            case (byte)'I': stack.Add(ParseIntLine(ReadLine())); break; // INT
            case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(4))); break; // BININT
            case (byte)'K': stack.Add((long)ReadByte()); break; // BININT1
            case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadExactly(2))); break; // BININT2
            case (byte)'L': stack.Add(ParseLongLine(ReadLine())); break; // LONG
            case 0x8a: stack.Add(DecodeLong(ReadExactly(ReadByte()))); break; // LONG1
            case 0x8b: stack.Add(DecodeLong(ReadExactly(ReadLength(BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(4)))))); break; // LONG4
            case (byte)'F': stack.Add(double.Parse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture)); break; // FLOAT
            case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadExactly(8))); break; // BINFLOAT

            case (byte)'S': stack.Add(Encoding.UTF8.GetString(PythonLiterals.UnquoteBytes(ReadLine()))); break; // STRING
            case (byte)'T': stack.Add(Encoding.UTF8.GetString(ReadExactly(ReadLength(BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(4)))))); break; // BINSTRING
            case (byte)'U': stack.Add(Encoding.UTF8.GetString(ReadExactly(ReadByte()))); break; // SHORT_BINSTRING
            case (byte)'V': stack.Add(PythonLiterals.DecodeRawUnicodeEscape(ReadLine())); break; // UNICODE
            case (byte)'X': stack.Add(Encoding.UTF8.GetString(ReadExactly(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4)))))); break; // BINUNICODE
            case 0x8c: stack.Add(Encoding.UTF8.GetString(ReadExactly(ReadByte()))); break; // SHORT_BINUNICODE
            case 0x8d: stack.Add(Encoding.UTF8.GetString(ReadExactly(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(ReadExactly(8)))))); break; // BINUNICODE8
            case (byte)'B': stack.Add(ReadExactly(ReadLength(BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4))))); break; // BINBYTES
            case (byte)'C': stack.Add(ReadExactly(ReadByte())); break; // SHORT_BINBYTES
            case 0x8e: // BINBYTES8
            case 0x96: // BYTEARRAY8
                stack.Add(ReadExactly(ReadLength(BinaryPrimitives.ReadUInt64LittleEndian(ReadExactly(8)))));
                break;

            case (byte)']': stack.Add(new List<object?>()); break; // EMPTY_LIST
            case (byte)'l': stack.Add(new List<object?>(PopMark())); break; // LIST
            case (byte)'a': // APPEND
                var item = Pop();
                AsList(Peek(), "APPEND").Add(item);
                break;
            case (byte)'e': // APPENDS
                var items = PopMark();
                AsList(Peek(), "APPENDS").AddRange(items);
                break;
            case (byte)')': stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
            case (byte)'t': stack.Add(PopMark()); break; // TUPLE
            case 0x85: stack.Add(new[] { Pop() }); break; // TUPLE1
            case 0x86: // TUPLE2
                var second = Pop();
                stack.Add(new[] { Pop(), second });
                break;
            case 0x87: // TUPLE3
                var third = Pop();
                var middle = Pop();
                stack.Add(new[] { Pop(), middle, third });
                break;
            case (byte)'}': stack.Add(TorchGlobals.NewDict()); break; // EMPTY_DICT
            case (byte)'d': // DICT
                var dict = TorchGlobals.NewDict();
                SetItems(dict, PopMark());
                stack.Add(dict);
                break;
            case (byte)'s': // SETITEM
                var value = Pop();
                var key = Pop();
                AsDict(Peek(), "SETITEM")[TorchGlobals.Key(key)] = value;
                break;
            case (byte)'u': // SETITEMS
                var pairs = PopMark();
                SetItems(AsDict(Peek(), "SETITEMS"), pairs);
                break;
            case 0x8f: stack.Add(new HashSet<object>(PythonKeyComparer.Instance)); break; // EMPTY_SET
            case 0x90: // ADDITEMS
                var members = PopMark();
                if (Peek() is not HashSet<object> set)
                    throw new InvalidDataException($"ADDITEMS on {TorchGlobals.Describe(Peek())}");
                foreach (var member in members)
                    set.Add(TorchGlobals.Key(member));
                break;
            case 0x91: stack.Add(new HashSet<object>(PopMark().Select(TorchGlobals.Key), PythonKeyComparer.Instance)); break; // FROZENSET

            case (byte)'g': stack.Add(MemoGet(ParseIndex(ReadLine()))); break; // GET
            case (byte)'h': stack.Add(MemoGet(ReadByte())); break; // BINGET
            case (byte)'j': stack.Add(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4)))); break; // LONG_BINGET
            case (byte)'p': memo[ParseIndex(ReadLine())] = Peek(); break; // PUT
            case (byte)'q': memo[ReadByte()] = Peek(); break; // BINPUT
            case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4))] = Peek(); break; // LONG_BINPUT
            case 0x94: memo[memo.Count] = Peek(); break; // MEMOIZE

            case (byte)'c': // GLOBAL
                var module = ReadLine();
                stack.Add(TorchGlobals.Resolve(module, ReadLine(), source, torchScript));
                break;
            case 0x93: // STACK_GLOBAL
                var globalName = Pop() as string;
                var globalModule = Pop() as string;
                if (globalName is null || globalModule is null)
                    throw new InvalidDataException("STACK_GLOBAL without a module and name");
                stack.Add(TorchGlobals.Resolve(globalModule, globalName, source, torchScript));
                break;
            case (byte)'R': // REDUCE
                var args = AsTuple(Pop(), "REDUCE");
                stack.Add(TorchGlobals.Call(AsGlobal(Pop(), "REDUCE"), args, source));
                break;
            case 0x81: // NEWOBJ
                var newArgs = AsTuple(Pop(), "NEWOBJ");
                stack.Add(TorchGlobals.New(AsGlobal(Pop(), "NEWOBJ"), newArgs, source));
                break;
            case 0x92: // NEWOBJ_EX
                var kwargs = Pop();
                var exArgs = AsTuple(Pop(), "NEWOBJ_EX");
                if (kwargs is not OrderedDictionary<object, object?> { Count: 0 })
                    throw new InvalidDataException("NEWOBJ_EX with keyword arguments");
                stack.Add(TorchGlobals.New(AsGlobal(Pop(), "NEWOBJ_EX"), exArgs, source));
                break;
            case (byte)'i': // INST: a protocol 0 instance of a named class
                var instModule = ReadLine();
                var instClass = TorchGlobals.Resolve(instModule, ReadLine(), source, torchScript);
                stack.Add(Instantiate(instClass, PopMark()));
                break;
            case (byte)'o': // OBJ: a protocol 1 instance of the class first after the mark
                var objItems = PopMark();
                if (objItems.Length == 0)
                    throw new InvalidDataException("OBJ without a class");
                stack.Add(Instantiate(AsGlobal(objItems[0], "OBJ"), objItems[1..]));
                break;
            case (byte)'b': // BUILD
                var state = Pop();
                Build(Peek(), state);
                break;
            case (byte)'P': // PERSID
                stack.Add(persistentLoad(ReadLine()));
                break;
            case (byte)'Q': // BINPERSID
                stack.Add(persistentLoad(Pop()));
                break;

            default:
                throw RefusedOpcode(op, offset);
        }
    }

    UnsafePickleException RefusedOpcode(byte op, long offset)
    {
        var name = op switch
        {
            0x82 => "EXT1",
            0x83 => "EXT2",
            0x84 => "EXT4",
            0x97 => "NEXT_BUFFER",
            0x98 => "READONLY_BUFFER",
            _ => null,
        };
        var what = name is null ? $"unknown pickle opcode 0x{op:x2}" : $"pickle opcode {name} (0x{op:x2})";
        return new UnsafePickleException(
            $"refused {what} at offset {offset} in {source}: only the opcodes that tensors and plain containers need are allowed",
            source, opcode: op);
    }

    object? Instantiate(PickleGlobal cls, object?[] args) =>
        cls.Kind is PickleGlobalKind.InertClass or PickleGlobalKind.TorchScriptClass
            ? TorchGlobals.New(cls, args, source)
            : TorchGlobals.Call(cls, args, source);

    static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PickledObject obj:
                if (obj.State is OrderedDictionary<object, object?> existing && state is OrderedDictionary<object, object?> update)
                {
                    foreach (var (key, value) in update)
                        existing[key] = value;
                }
                else
                {
                    obj.State = state;
                }
                break;
            case NumpyDtype dtype:
                NumpyScalars.Build(dtype, state);
                break;
            case OrderedDictionary<object, object?>:
            case PendingTensor:
                // Attributes set on an OrderedDict (a state_dict's _metadata) or a tensor are not data we keep.
                break;
            default:
                throw new InvalidDataException($"BUILD on {TorchGlobals.Describe(target)}");
        }
    }

    static void SetItems(OrderedDictionary<object, object?> dict, object?[] pairs)
    {
        if (pairs.Length % 2 != 0)
            throw new InvalidDataException("an odd number of items for a dict");
        for (var i = 0; i < pairs.Length; i += 2)
            dict[TorchGlobals.Key(pairs[i])] = pairs[i + 1];
    }

    static List<object?> AsList(object? value, string op) =>
        value as List<object?> ?? throw new InvalidDataException($"{op} on {TorchGlobals.Describe(value)}");

    static OrderedDictionary<object, object?> AsDict(object? value, string op) =>
        value as OrderedDictionary<object, object?> ?? throw new InvalidDataException($"{op} on {TorchGlobals.Describe(value)}");

    static object?[] AsTuple(object? value, string op) =>
        value as object?[] ?? throw new InvalidDataException($"{op} with arguments that are not a tuple ({TorchGlobals.Describe(value)})");

    static PickleGlobal AsGlobal(object? value, string op) =>
        value as PickleGlobal ?? throw new InvalidDataException($"{op} on {TorchGlobals.Describe(value)}, which is not a class or function");

    object? Pop()
    {
        if (stack.Count == 0 || (marks.Count > 0 && marks.Peek() >= stack.Count))
            throw new InvalidDataException("the pickle pops an empty stack");
        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    object? Peek()
    {
        if (stack.Count == 0 || (marks.Count > 0 && marks.Peek() >= stack.Count))
            throw new InvalidDataException("the pickle reads an empty stack");
        return stack[^1];
    }

    object?[] PopMark()
    {
        if (marks.Count == 0)
            throw new InvalidDataException("the pickle uses a mark it never set");
        var start = marks.Pop();
        var items = stack.GetRange(start, stack.Count - start).ToArray();
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    object? MemoGet(long index) =>
        memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"memo entry {index} was never stored");

    int ReadByte()
    {
        var b = input.ReadByte();
        return b >= 0 ? b : throw new EndOfStreamException("the pickle ends in the middle of an opcode");
    }

    byte[] ReadExactly(int count)
    {
        var buffer = new byte[count];
        if (input.ReadAtLeast(buffer, count, throwOnEndOfStream: false) < count)
            throw new EndOfStreamException("the pickle ends in the middle of an opcode");
        return buffer;
    }

    // Lengths come from the file: check them against what is left before allocating.
    int ReadLength(long length)
    {
        if (length < 0 || length > input.Length - input.Position)
            throw new InvalidDataException($"a length of {length} bytes runs past the end of the pickle");
        return (int)length;
    }

    int ReadLength(ulong length) => ReadLength(length > long.MaxValue ? -1 : (long)length);

    // Text opcodes end with a newline; Python reads them as ASCII/Latin-1.
    string ReadLine()
    {
        var builder = new StringBuilder();
        while (true)
        {
            var b = ReadByte();
            if (b == '\n')
                return builder.ToString();
            if (builder.Length > 1 << 20)
                throw new InvalidDataException("a text opcode's line is longer than 1 MiB");
            builder.Append((char)b);
        }
    }

    static long ParseIndex(string line) =>
        long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw new InvalidDataException($"bad memo index '{line}'");

    static object ParseIntLine(string line) => line switch
    {
        "00" => false,
        "01" => true,
        _ => ParseInteger(line),
    };

    static object ParseLongLine(string line) => ParseInteger(line.EndsWith('L') ? line[..^1] : line);

    static object ParseInteger(string text)
    {
        if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new InvalidDataException($"bad integer '{text}'");
        return Normalize(value);
    }

    // LONG1/LONG4 hold a little-endian two's-complement integer.
    static object DecodeLong(byte[] bytes) => Normalize(new BigInteger(bytes, isUnsigned: false, isBigEndian: false));

    static object Normalize(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
}
