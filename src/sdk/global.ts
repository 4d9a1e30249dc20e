/** The script-tag entry (dist/sdk/mysoftphone.js): `new MySoftPhone(options, answerConfirmFn)` as the spec shows. */
import { MySoftPhone } from './phone.js';

declare global {
  interface Window {
    MySoftPhone: typeof MySoftPhone;
  }
}

window.MySoftPhone = MySoftPhone;
