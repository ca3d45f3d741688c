/** File modification times use the wire's one Go time formatter (`mtimeNs` from a bigint stat). */
export { formatGoTime as formatModTime } from '../../wire/go-time';
